"""Images shipped with tuichat."""
