"""The browser door: ``--web-port`` serves the real client in a browser (textual-serve),
one client process per browser session, joining through the native door on loopback."""
