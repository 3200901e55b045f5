"""Car Search's asynchronous search API: the start Lambda, the search Lambda, the S3 results cache."""
