"""One module per Lambda function, each exporting `lambda_handler`, all in one code package (search-service.zip):

    start.py           POST /search: validates, records the search as pending, launches its run; the user's webhook
                       signing secret (GET /webhook-secret, POST /webhook-secret/rotate) (API Gateway)
    results.py         GET /search, where a person is waiting (API Gateway)
    run.py             a search run, from the start Lambda's async event (reserved concurrency)
    lost_searches.py   the runs Lambda gave up on, from its on-failure queue (SQS, partial batch responses)
    callbacks.py       one attempt at delivering a callback event, from the callback queue (SQS)

and what they share: `events.py` (each refuses the others' events), `http.py` (the HTTP functions' invocation).
Each imports only what its own job needs."""
