#!/usr/bin/env bash
# A local Request Tracker 5 (Debian package, SQLite, standalone server) for the ticket backend.
#
#   request-tracker.sh up       install if needed, provision queues/custom fields/users, start
#   request-tracker.sh reset    back to the provisioned state (no tickets), restart
#   request-tracker.sh down     stop the server
#   request-tracker.sh status   exit 0 when it answers
#
# Writes $RT_STATE/rt.env (RT_URL, RT_TOKEN, RT_USER, RT_PASSWORD) for `ispflow` and the tests.
# RT_TOKEN belongs to the service account `ispflow`, RT_USER/RT_PASSWORD to the administrator.
# Needs root and apt (Debian 12). Installing takes about a minute; later starts take seconds.
set -euo pipefail

RT_STATE=${ISPFLOW_RT_STATE:-/tmp/ispflow-rt}
RT_PORT=${ISPFLOW_RT_PORT:-8080}
RT_URL="http://127.0.0.1:${RT_PORT}"
ROOT_PASSWORD=rtadmin123
SITE_CONFIG=/etc/request-tracker5/RT_SiteConfig.d/99-ispflow.pm
DB_FILE=/var/lib/dbconfig-common/sqlite3/request-tracker5/rtdb
SERVER=/usr/share/request-tracker5/libexec/rt-server
PIDFILE="$RT_STATE/rt-server.pid"
PRISTINE="$RT_STATE/rtdb.pristine"
API_TOKEN="$RT_STATE/api-token"
# Bump when provisioning changes: `up` and `reset` then bring an older provisioned state up to date.
PROVISION_VERSION=4
APT_LOCK=/tmp/ispflow-apt.lock
START=$SECONDS

say() { printf '[request-tracker %3ds] %s\n' "$((SECONDS - START))" "$*" >&2; }

answers() { curl -fsS -o /dev/null --max-time 3 "$RT_URL/REST/2.0/rt" -u "root:$ROOT_PASSWORD" 2>/dev/null; }

installed() { [ -x "$SERVER" ] && dpkg -s rt5-db-sqlite >/dev/null 2>&1; }

install_packages() {
  say "installing request-tracker5, rt5-db-sqlite, rt5-standalone (about a minute)"
  # apt-get update does not wait for the lists lock, so every apt user here takes this one.
  exec 9>"$APT_LOCK"
  flock 9
  debconf-set-selections <<'SEL'
request-tracker5 request-tracker5/rtname string ispflow.test
request-tracker5 request-tracker5/organization string ispflow.test
request-tracker5 request-tracker5/correspondaddress string rt@ispflow.test
request-tracker5 request-tracker5/commentaddress string rt-comment@ispflow.test
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1:8080
request-tracker5 request-tracker5/webpath string /rt
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/initial-root-password password rtadmin123
request-tracker5 request-tracker5/dbconfig-install boolean true
request-tracker5 request-tracker5/database-type select sqlite3
exim4-config exim4/dc_eximconfig_configtype select local delivery only; not on a network
exim4-config exim4/mailname string ispflow.test
SEL
  local packages=(request-tracker5 rt5-db-sqlite rt5-standalone curl)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >"$RT_STATE/apt.log" 2>&1; then
    say "package lists look stale: apt-get update, then install again"
    apt-get update -q >>"$RT_STATE/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >>"$RT_STATE/apt.log" 2>&1 \
      || { tail -20 "$RT_STATE/apt.log" >&2; exit 1; }
  fi
  flock -u 9
}

write_site_config() {
  # rt-server serves the application at / whatever $WebPath says; RT then refuses every path unless
  # WebPath is empty.
  cat >"$SITE_CONFIG" <<CONF
Set(\$WebPath, '');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, ${RT_PORT});
Set(\$WebBaseURL, '${RT_URL}');
Set(@ReferrerWhitelist, qw(127.0.0.1:${RT_PORT} localhost:${RT_PORT}));
Set(\$LogToSTDERR, 'warning');
Set(\$MailCommand, 'testfile');
# TicketSQL reads dates in this zone; the ticket backend writes them in UTC.
Set(\$Timezone, 'UTC');
# RT checks the API token with bcrypt on every request: 0.2 s at the default cost of 12. The token
# is 128 random bits, so stretching it buys nothing; tokens made at a higher cost stay slow.
Set(\$BcryptCost, 4);
1;
CONF
}

provision() {
  say "provisioning queues, custom fields and field staff"
  # REST2 in RT 5.0 cannot apply a custom field to a queue, so everything comes from initialdata.
  cat >"$RT_STATE/initialdata.pl" <<'DATA'
@Queues = map { { Name => $_, CorrespondAddress => '', CommentAddress => '' } }
  ('installation', 'remote-support', 'on-site-visit', 'hardware-maintenance');
@CustomFields = map { { Name => $_, Type => 'FreeformSingle', LookupType => 'RT::Queue-RT::Ticket', Queue => 0 } }
  ('CTO', 'Lacre', 'Contract', 'Customer', 'Cause', 'Channel', 'Responsible', 'Address', 'District',
   'City', 'Urgent', 'Reviewed', 'Visit', 'Solution code', 'Protocol');
@Users = map { { Name => $_, Password => 'ispflow-tech', Privileged => 1, EmailAddress => "$_\@ispflow.test" } }
  ('ana', 'bruno', 'carla');
@ACL = map { { GroupDomain => 'SystemInternal', GroupType => 'Privileged', Right => $_ } }
  ('OwnTicket', 'SeeQueue', 'ShowTicket', 'ModifyTicket', 'CreateTicket', 'ReplyToTicket', 'CommentOnTicket',
   'TakeTicket', 'StealTicket', 'SeeCustomField', 'ModifyCustomField');
1;
DATA
  rt-setup-database-5 --action insert --skip-create --datafile "$RT_STATE/initialdata.pl" \
    >"$RT_STATE/provision.log" 2>&1 || { cat "$RT_STATE/provision.log" >&2; exit 1; }
  cp "$DB_FILE" "$PRISTINE"
}

# Everything provisioned after the first version; each step is skipped when already done, so
# this runs on a fresh database and on a pristine copy from an older version of this script.
provision_updates() {
  say "provisioning the API account, the 'Responsible type' field, no mail notifications"
  rm -f "$API_TOKEN"
  perl -e '
    use strict; use warnings;
    use lib "/usr/share/request-tracker5/lib"; use RT; RT::LoadConfig(); RT::Init();
    my $system = RT->SystemUser;
    my $cf = RT::CustomField->new($system);
    $cf->LoadByName(Name => "Responsible type", LookupType => "RT::Queue-RT::Ticket");
    unless ($cf->Id) {
      my ($ok, $msg) = $cf->Create(Name => "Responsible type", Type => "FreeformSingle",
                                   LookupType => "RT::Queue-RT::Ticket");
      die "custom field: $msg\n" unless $ok;
      ($ok, $msg) = $cf->AddToObject(RT::Queue->new($system));
      die "custom field: $msg\n" unless $ok;
    }
    # Comments are only readable with this right; the API account needs them for the history.
    my $privileged = RT::Group->new($system);
    $privileged->LoadSystemInternalGroup("Privileged");
    $privileged->PrincipalObj->GrantRight(Right => "ShowTicketComments", Object => $RT::System);
    # The lab sends no mail: notifications would only cost time and write files to /tmp.
    my $scrips = RT::Scrips->new($system);
    $scrips->UnLimit;
    while (my $scrip = $scrips->Next) {
      next if $scrip->Disabled;
      $scrip->SetDisabled(1) if $scrip->ScripActionObj->ExecModule =~ /^(?:Notify|Autoreply|SendForward)/;
    }
    # The API account is privileged but no superuser and has no ReassignTicket: RT itself then
    # refuses to hand a ticket owned by one technician to another, which makes claims atomic.
    my $user = RT::User->new($system);
    $user->Load("ispflow");
    unless ($user->Id) {
      my ($ok, $msg) = $user->Create(Name => "ispflow", Privileged => 1, EmailAddress => "ispflow\@ispflow.test",
                                     RealName => "ispflow automation");
      die "user: $msg\n" unless $ok;
    }
    # RT tries each of the account'"'"'s tokens in turn, with bcrypt: keep only the new one.
    my $tokens = RT::AuthTokens->new($system);
    $tokens->LimitOwner(VALUE => $user->Id);
    while (my $old = $tokens->Next) { $old->Delete }
    my ($id, $msg, $token) = RT::AuthToken->new($system)->Create(Owner => $user->Id, Description => "ispflow");
    die "token: $msg\n" unless $id;
    print "$token\n";' >"$API_TOKEN.new" 2>>"$RT_STATE/provision.log" \
    || { tail -20 "$RT_STATE/provision.log" >&2; rm -f "$API_TOKEN.new"; exit 1; }
  mv "$API_TOKEN.new" "$API_TOKEN"
}

provisioned() { [ -f "$PRISTINE" ] && [ -s "$API_TOKEN" ] && [ "$(cat "$RT_STATE/provisioned" 2>/dev/null)" = "$PROVISION_VERSION" ]; }

# The database is brought to the current provisioning from the pristine copy (tickets are dropped).
bring_up_to_date() {
  provisioned && return 0
  [ -f "$PRISTINE" ] && cp "$PRISTINE" "$DB_FILE"
  [ -f "$PRISTINE" ] || provision
  provision_updates
  cp "$DB_FILE" "$PRISTINE"
  echo "$PROVISION_VERSION" >"$RT_STATE/provisioned"
}

write_env() {
  cat >"$RT_STATE/rt.env" <<ENV
RT_URL=${RT_URL}
RT_TOKEN=$(cat "$API_TOKEN")
RT_USER=root
RT_PASSWORD=${ROOT_PASSWORD}
ENV
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$RT_PORT") 2>/dev/null; }

start_server() {
  # A server this script did not start (an older install, another program) would answer in
  # its place, with other users and tokens: refuse rather than report it ready.
  if port_taken; then
    say "port $RT_PORT is already in use by a process this script did not start:"
    ss -ltnp "sport = :$RT_PORT" >&2 2>/dev/null || true
    say "stop it, or choose another port with ISPFLOW_RT_PORT"
    exit 1
  fi
  say "starting rt-server on $RT_URL"
  # fd 8 holds this script's lock: the server must not inherit it.
  nohup "$SERVER" --port "$RT_PORT" --host 127.0.0.1 --max-workers 2 >"$RT_STATE/rt-server.log" 2>&1 8>&- &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    answers && return 0
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$RT_STATE/rt-server.log" >&2; exit 1; }
    sleep 0.2
  done
  say "rt-server did not answer within 20 s"; tail -20 "$RT_STATE/rt-server.log" >&2; exit 1
}

stop_server() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE")
  # Starlet workers are children of the master; take the whole group down.
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  pkill -KILL -P "$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

up() {
  if answers && [ -f "$RT_STATE/rt.env" ] && provisioned; then say "already up at $RT_URL"; return 0; fi
  installed || install_packages
  write_site_config
  stop_server
  bring_up_to_date
  write_env
  start_server
  say "ready: $RT_URL (REST2 at $RT_URL/REST/2.0/), env in $RT_STATE/rt.env"
}

mkdir -p "$RT_STATE"
# One `up`/`reset`/`down` at a time (test sessions may start several at once).
exec 8>"$RT_STATE/lock"
[ "${1:-up}" = status ] || flock 8

case "${1:-up}" in
  up) up ;;
  down) stop_server; say "stopped" ;;
  reset)
    provisioned || { up; exit 0; }
    stop_server
    cp "$PRISTINE" "$DB_FILE"
    write_env
    start_server
    say "reset to the provisioned state" ;;
  status) answers ;;
  *) echo "usage: $0 up|down|reset|status" >&2; exit 2 ;;
esac
