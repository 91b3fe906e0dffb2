"""The guide example's function code (its content does not matter to the scan)."""


def handler(event: dict[str, object], context: object) -> dict[str, object]:
    return {}
