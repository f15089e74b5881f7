"""Superset's settings for the segment dashboard (scripts/superset_dashboard.py).

A throw-away metadata database under SUPERSET_HOME, a secret made for each run, and nothing
that reaches the network: Superset serves only 127.0.0.1 and the warehouse is opened read-only.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.environ["SUPERSET_HOME"], "superset.db")
# No usage analytics (Scarf's pixel), no content-security headers for a local check.
SCARF_ANALYTICS = False
TALISMAN_ENABLED = False
