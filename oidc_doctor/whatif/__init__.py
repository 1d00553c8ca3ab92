"""What-if: apply changes (``oidc_doctor.change``) to an evidence snapshot and judge the result again.

``apply`` builds a new :class:`~oidc_doctor.evidence.Evidence` with one change made (the input is
never modified); ``compare`` re-runs the whole walk (``pipeline.run``) on the changed evidence at the
same judged moment and says what changed: verdict, identity, findings gone and new; ``try_fixes``
does it for every change the findings propose and ranks them.
"""
