-- wrk: POST the urlencoded form in WRK_BODY (empty for the baseline's insert).
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY") or "message=row"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
