"""The owner's briefing: the views the loyalty report and the staff console both show.

Each view is plain data, computed once from the store, worded and typed but not formatted:

- :mod:`.summary` — the executive summary in sentences (what moved, and whether
  significantly; what to fix first; who to save and what they are worth; the follow-up
  cases; the loyalty program);
- :mod:`.periods` — this period against the one before, each change with its test (its
  sentences: :mod:`.moved`);
- :mod:`.loyalty` — per program: points earned, redeemed, expired and outstanding (the
  liability in money), tiers, vouchers, from the ledger;
- :mod:`.at_risk` — the members to call, with their value and home store;
- :mod:`.cases` — detractors' follow-up cases, open and overdue, per store;
- :mod:`.sections` — the analytics report's sections as tables, names instead of codes.

:func:`.build.briefing` computes them all (:func:`.today.today`, the few that need no
analytics report, for a glance at the period ending today); :class:`.formatting.Formatter`
writes any value (₩ without decimals, percentages, days in the business's time zone,
intervals) in Korean or English from the catalogues; :mod:`.page` renders the
self-contained report page and :mod:`.document` the JSON; :func:`.files.write_briefing`
writes both.
"""
