# Loads the kit's pytest plugin (--submission, the gpu marker, the device parameter, the kata
# fixture) so that plain `pytest` works from a fresh clone without installing the package.
pytest_plugins = ["grader.plugin"]
