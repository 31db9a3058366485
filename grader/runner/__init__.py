"""Running kata tests in isolated children and collecting their results.

supervisor.py  schedules one child per (submission, kata), enforces the hard timeout, reads the
               signed result channel and turns it into results.KataResult. Never imports
               submission code.
child.py       the child's entry: sandbox set-up, then pytest with the reporter.
reporter.py    the pytest plugin inside the child that writes signed events to the channel.
sandbox.py     process isolation: session, fds, environment, rlimits, OS layers where available.
guard.py       in-interpreter guards: audit hook and the integrity snapshot of the checks.
protocol.py    the signed line format shared by reporter and supervisor.
"""
