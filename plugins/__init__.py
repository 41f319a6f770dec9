"""The built-in assistance-domain plugins. Core never imports them: they are found
through the ``bangfu.plugins`` entry points, like a department's external plugin."""
