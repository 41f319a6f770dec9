"""The stored bottom line's scheduled job: judge again what the calendar made due (R3).

Daily, shortly after midnight (Asia/Shanghai): the persons whose ``valid_until`` has come
(a child came of age, a category ended, a deadline passed) and, after a plugin was
installed, upgraded or removed, the verdicts of the modules that changed
(``bangfu bottomline refresh`` does the same by hand). Reads do not wait for it: a read
judges the rows that fell due first (``bangfu.core.bottomline.reading``); the job keeps
that work off the first reader of the day.
"""

import datetime as dt

from bangfu.core.jobs import Daily, Every, Job, JobContext


async def refresh_due_verdicts(context: JobContext) -> str:
    from bangfu.core.bottomline import stored
    from bangfu.core.plugins import PluginHost, get_plugin_manager

    if not context.settings.stored_bottom_line:
        return "the stored bottom line is off (BANGFU_STORED_BOTTOM_LINE)"
    host = PluginHost(get_plugin_manager())
    done = await stored.refresh(context.sessions, host, context.settings)
    changed = f"; rules changed: {', '.join(done.rebuilt_for)}" if done.rebuilt_for else ""
    return f"judged {done.judged} persons ({done.due} due){changed}"


REFRESH = Job(
    name="bottomline.refresh",
    run=refresh_due_verdicts,
    schedule=Daily(dt.time(0, 5)),
    retries=3,
    retry_delay=600,
    description="judge again the verdicts the calendar or a rules change made due "
    "(bangfu bottomline refresh)",
)


async def compact_tally(context: JobContext) -> str:
    from bangfu.core.bottomline import tally
    from bangfu.core.security.actor import SYSTEM

    async with context.sessions() as session, session.begin():
        session.info["actor"] = SYSTEM
        folded = await tally.compact(session)
    await tally.vacuum(context.sessions)
    return f"folded the slots of {folded} keys"


COMPACT_TALLY = Job(
    name="bottomline.compact-tally",
    run=compact_tally,
    schedule=Every(600),
    retries=1,
    retry_delay=60,
    description="fold the bottom line's tally into one row per area, indicator and status "
    "(PostgreSQL: one slot per writing transaction until then)",
)
