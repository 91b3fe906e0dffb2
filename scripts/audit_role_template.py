"""Print the CloudFormation (StackSet) template of the audit role. Usage: audit_role_template.py [ROLE]."""

from __future__ import annotations

import sys

from reporter.audit_role_template import ROLE_NAME, audit_role_template_json

if __name__ == "__main__":
    print(audit_role_template_json(sys.argv[1] if len(sys.argv) > 1 else ROLE_NAME))
