from tests.worker import celery_worker  # noqa: F401 - a fixture for the tests in this folder
