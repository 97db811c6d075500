"""Offline gift import: a CSV file of cheques, cash and bank transfers,
checked in full, then written in one transaction, or not at all.

The run, the same for the command and the finance page's Celery task:
1. claim the GiftImport (queued -> running) under its row lock, so a task
   delivered twice, or two workers, never run one file twice;
2. check every row outside any transaction, saving `processed_rows` every
   few hundred rows: each save commits at once, so the page shows real
   progress. Nothing is written unless every row is valid;
3. write every gift in one transaction (all or nothing). Progress saved
   inside it would stay invisible to the page until the commit, so the page
   shows this phase as "writing" without a count instead (the command,
   in the same process, still draws its bar);
4. the unique external reference is the last guard: a file that races
   another import of the same cheque fails on it and is rejected whole.
Every run, dry or not, ends with an audit entry.

The modules: reader (size, encoding, header, records), rows (the checks
of each row, mostly the gift rules of donations.rules) and runner (the
claim, the check, the write and the audit).
"""
