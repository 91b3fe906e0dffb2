"""Shift-left: the crawl's rules on infrastructure code (CloudFormation, SAM, CDK output, Terraform
plans) before it is deployed. Entry point: :func:`reporter.iac.scan.scan` (``reporter scan``)."""
