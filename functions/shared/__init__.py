"""Library code packaged into every function under ``shared/``.

Inside a function package (the Lambda package root is on ``sys.path``) and in the tests
(``tests/functions/conftest.py`` puts ``functions/`` on ``sys.path``) it is imported the
same way: ``from shared.graph import ...``.
"""
