"""The attacks of issue 12 against a server process, one module per attack family;
``suite.ATTACKS`` lists them for ``bench/faults.py``. Nothing is imported here, so an
attacker process (``python -m tests.attacks.lockout --attack ...``) loads only its own."""
