"""Staff users of the console: accounts (:mod:`.accounts`) and sign-in sessions
(:mod:`.sessions`). Roles and scopes are rules of :mod:`regulars.domain.staff`."""
