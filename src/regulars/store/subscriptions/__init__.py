"""The SQL of subscriptions, one module per kind of row: the plan catalogue (``plans``),
contracts (``contracts``), plan changes and bills (``history``), exit-survey invitations and
answers (``exits``). Analytics queries over them are in ``store/reads/``."""
