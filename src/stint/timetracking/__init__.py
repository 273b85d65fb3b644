"""Time tracking: activities, time entries, timers and reports, independent of HTTP and SQL."""
