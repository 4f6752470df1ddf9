# Shared by the benchmark scripts (sourced): sign in as a demo user on the service at PORT
# and print the session cookie's value. Uses WORK for its cookie jar.
login_cookie() {
    local user="$1" jar="$WORK/jar" token
    rm -f "$jar"
    token=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/logga-in" | grep -o 'name="csrf" value="[^"]*' | head -n 1 | sed 's/.*value="//')
    curl -s -b "$jar" -c "$jar" -o /dev/null "http://127.0.0.1:$PORT/logga-in" \
        --data-urlencode "csrf=$token" --data-urlencode "email=$user" \
        --data-urlencode "password=demo-losenord-2026" --data-urlencode "next=/"
    awk '$6 == "tvs_session" { print $7 }' "$jar"
}
