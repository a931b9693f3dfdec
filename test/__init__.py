"""Makes test/ a package so that `python3 -m unittest discover -s test/python -t .` can import
test.python.* ahead of the standard library's own `test` package."""
