# Sphinx configuration for the _tls_bootstrap documentation.
# Built by tox env docs: `sphinx-build -W -b html` and `-b doctest` against
# the installed module (not Lib/), so the examples run on what ships.
project = "_tls_bootstrap"
copyright = "The _tls_bootstrap authors; Apache License 2.0"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest"]
root_doc = "index"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
html_theme = "alabaster"
# Every example of the guide runs under `-b doctest`; the shared set-up
# (a self-signed certificate made in memory) is in guide.rst's testsetup.
doctest_test_doctest_blocks = ""
