# Shared by the benchmark scripts (sourced).

# Waits until URL $1 answers, trying every 50 ms, $2 times at most (200: 10 s); fails saying so.
wait_for() {
    for _ in $(seq 1 "${2:-200}"); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done
    echo "$1 did not answer" >&2
    return 1
}

# Signs in as a demo user on the service at PORT and prints the session cookie's value. Uses
# WORK for its cookie jar.
login_cookie() {
    local user="$1" jar="$WORK/jar" token
    rm -f "$jar"
    token=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/logga-in" | grep -o 'name="csrf" value="[^"]*' | head -n 1 | sed 's/.*value="//')
    curl -s -b "$jar" -c "$jar" -o /dev/null "http://127.0.0.1:$PORT/logga-in" \
        --data-urlencode "csrf=$token" --data-urlencode "email=$user" \
        --data-urlencode "password=demo-losenord-2026" --data-urlencode "next=/"
    awk '$6 == "tvs_session" { print $7 }' "$jar"
}

# The pages of issue 14's table, a line each: "name|who|path", who being reviewer or local
# (lars.ek and anna.berg of the demo); $1 is the case number searched for and shown.
compared_pages() {
    cat <<EOF
case list, reviewer|reviewer|/arenden
case list, Botkyrka user|local|/arenden
start page, reviewer|reviewer|/
start page, Botkyrka user|local|/
case list search ?q=SIP, reviewer|reviewer|/arenden?q=SIP
case list search for a case number|reviewer|/arenden?q=$1
one case page, reviewer|reviewer|/arenden/$1
EOF
}
