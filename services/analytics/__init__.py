"""Analytics (issue 10; seeds 001 and 004): rollups and reports.

Modules, one idea each:

- `periods`: UTC days, day/week/month periods and range checks;
- `rollup`: the `analytics_rollup` job recomputing the rollup tables (`models.analytics`) per day,
  and what each rolled-up column means;
- `scheduling`: the periodic maintenance task that rolls up yesterday and today;
- `figures`: day rows summed into periods, and the derived metrics (average order value, net
  revenue, cart abandonment and order completion rates, new and returning customers);
- `rankings`: top products and categories, and product sales per period;
- `reports`: the reports the API serves (sales, revenue, orders, users, products, dashboard).

Reports read only the rollup tables, never orders; the job is what reads orders, one day at a time.
"""

from services.analytics.periods import EARLIEST, INTERVALS, LATEST, MAX_DAYS, MAX_ROLLUP_DAYS
from services.analytics.rankings import MAX_LIMIT, SORTS
from services.analytics.reasons import REASONS
from services.analytics.reports import (dashboard, order_report, product_report, revenue_report, sales_report,
                                        user_report)
from services.analytics.rollup import JOB_TYPE, roll_up_day, rollup_range, run_rollup_job, start_rollup
from services.analytics.scheduling import schedule_analytics_rollup

__all__ = ["EARLIEST", "INTERVALS", "JOB_TYPE", "LATEST", "MAX_DAYS", "MAX_LIMIT", "MAX_ROLLUP_DAYS", "REASONS",
           "SORTS", "dashboard", "order_report", "product_report", "revenue_report", "roll_up_day",
           "rollup_range", "run_rollup_job", "sales_report", "schedule_analytics_rollup", "start_rollup",
           "user_report"]
