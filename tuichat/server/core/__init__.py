"""The chat core: members, rooms, what they may say, and who hears it.

Doors (``tuichat.server.doors``) turn what arrives on their wire into the typed requests
of ``requests`` and hand them to ``Chat``; the core decides, stores, and hands the typed
events of ``events`` back to each member's door, which turns them into its own wire
format. Nothing here touches a socket, a thread or JSON: work off the loop (saves, loads)
goes through the ``Scheduler`` the core is given (``ports``).
"""
