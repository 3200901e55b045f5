"""Plain-Python search logic: no boto3, no Powertools, no HTTP. Adapters plug in through `ports`."""
