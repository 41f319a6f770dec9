"""The composition root: the app factory (``bangfu.app``) and the command (``bangfu.cli``)."""
