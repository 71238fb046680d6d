package MAuth::Store;
# Helpers for mod_mauth's identity-layer tests (t/identity/*.t):
#
#   * the test store: build/mauth-admin against the database t/run-all.sh
#     created (MAUTH_TEST_DBD_DRIVER / MAUTH_TEST_DBD_PARAMS), raw SQL
#     through sqlite3 / psql, unique names so tests never share a user;
#   * the private PostgreSQL server's control (stop/start for the outage
#     test: MAUTH_TEST_PGDATA / MAUTH_TEST_PGPORT / MAUTH_TEST_PGSOCK);
#   * HTTPS requests with a client certificate, any headers and a body,
#     against the vhosts of t/conf/identity.conf.in, and the back end's run
#     log (t/htdocs/identity/backend.cgi);
#   * the texts the seeds fix: the Certificate Error page, the SOAP fault,
#     the JSON error.
use strict;
use warnings;

use Exporter 'import';
use Digest::SHA ();
use File::Temp ();
use MIME::Base64 ();
use Time::HiRes ();
use Apache::Test ();
use Test::More ();
use MAuth::Test ();

# A server that answers before reading the whole body may close the
# connection under our feet: a write error, not a dead test.
$SIG{PIPE} = 'IGNORE';

our @EXPORT = qw(
    identity_plan store_driver is_pgsql use_store
    admin admin_ok uname
    new_org new_user new_profile add_cert remove_cert new_session enforced_user
    sql sql_value store_counts
    pg_stop pg_start pg_running
    id_request id_ran runlog_mark
    expected_page expected_soap_fault expected_json_error
    soap_envelope assert_page assert_fault assert_passed assert_declined assert_refused
    cert_sha256 cert_der sf_binary pki describe
    error_log_mark error_log_since wait_cache
    basic_auth_available write_htpasswd
);

# ------------------------------------------------------------ environment

sub t_dir { Apache::Test::config()->{vars}->{serverroot} }
sub top_dir { my $t = t_dir(); $t =~ s{/t/?$}{}; $t }

# Which store admin(), sql() and friends work on: 'main' (the identity
# vhosts') or 'errors' (the store-failure vhosts', broken on purpose by
# t/identity/store_outage.t).  A test sets it once: use_store('errors').
our $STORE = 'main';
sub use_store { $STORE = shift }

sub store_driver { $ENV{MAUTH_TEST_DBD_DRIVER} // '' }
sub store_params {
    return $STORE eq 'errors' ? $ENV{MAUTH_TEST_DBD_PARAMS_ERRORS} // ''
                              : $ENV{MAUTH_TEST_DBD_PARAMS} // '';
}
sub is_pgsql { store_driver() eq 'pgsql' }

sub pki { MAuth::Test::pki(@_) }

sub admin_bin { top_dir() . '/build/mauth-admin' }

sub runlog { t_dir() . '/logs/identity-runs.log' }

# store_unready() -> why the store tests cannot run here, or undef: the
# environment t/run-all.sh sets and the admin tool.
sub store_unready {
    if (store_driver() eq '' || ($ENV{MAUTH_TEST_DBD_PARAMS} // '') eq '') {
        return 'MAUTH_TEST_DBD_DRIVER/MAUTH_TEST_DBD_PARAMS not set: run sh t/run-all.sh';
    }
    return -x admin_bin() ? undef : admin_bin() . ' not built: make -f Makefile.apxs tools';
}

# not_listening(VHOST, WHAT) -> why WHAT's vhosts do not answer, or undef.
sub not_listening {
    my ($vhost, $what) = @_;
    my ($sock, $err) = MAuth::Test::open_tls(vhost => $vhost);
    return "$what vhosts are not listening (mod_dbd not loaded? "
         . "MAUTH_TEST_LIBEXECDIR unset?): $err" unless $sock;
    $sock->close(SSL_no_shutdown => 1);
    return undef;
}

# plan_store_tests(N, WHY): skips the file saying WHY when there is one,
# else makes the run log the back end writes and plans N tests.
sub plan_store_tests {
    my ($tests, $why) = @_;
    if ($why) {
        Test::More::plan(skip_all => $why);
        exit 0;
    }
    my $file = runlog();
    unless (-e $file) {
        open my $fh, '>>', $file or die "$file: $!";
        close $fh;
    }
    chmod 0666, $file;
    Test::More::plan(tests => $tests);
}

# identity_plan(N): plans N tests, or skips the file with the reason the
# identity tests cannot run here.
sub identity_plan {
    my ($tests, %a) = @_;
    my $vhosts = Apache::Test::config()->{vhosts};
    my $why = store_unready();
    $why ||= 'identity vhosts missing from the configuration'
        unless $vhosts->{identity_mutual} && $vhosts->{identity_standard};
    $why ||= 'MAUTH_TEST_DBD_PARAMS_ERRORS (the failure tests\' store) not set: '
           . 'run sh t/run-all.sh'
        if $a{errors} && ($ENV{MAUTH_TEST_DBD_PARAMS_ERRORS} // '') eq '';
    $why ||= "needs the $a{driver} store (this run uses " . store_driver() . ')'
        if $a{driver} && store_driver() ne $a{driver};
    $why ||= not_listening('identity_standard', 'identity');
    plan_store_tests($tests, $why);
}

# ------------------------------------------------------------ admin tool

# admin(ARGS...) -> ($exit, $stdout, $stderr)
sub admin {
    my @args = @_;
    my @cmd = (admin_bin(), '--driver', store_driver(), '--params', store_params(),
               '--ca-file', pki('roots.pem'), '--crl-file', pki('crls-all.pem'), @args);
    my $out = File::Temp->new;
    my $err = File::Temp->new;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out->filename or die;
        open STDERR, '>', $err->filename or die;
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    local $/;
    open my $o, '<', $out->filename; my $stdout = <$o> // '';
    open my $e, '<', $err->filename; my $stderr = <$e> // '';
    return ($rc, $stdout, $stderr);
}

# admin_ok(ARGS...) -> stdout; dies (the test fails loudly) on a non-zero exit.
sub admin_ok {
    my ($rc, $out, $err) = admin(@_);
    die "mauth-admin @_: exit $rc: $err$out\n" if $rc != 0;
    return $out;
}

my $name_counter = 0;

# uname('alice') -> 'alice-<test>-<pid>-<n>': unique per run and test file,
# so no two tests share a user, a session or a cache entry.
sub uname {
    my $base = shift;
    (my $t = $0) =~ s{.*/}{};
    $t =~ s/\.t$//;
    $name_counter++;
    return sprintf '%s-%s-%d-%d-%d', $base, $t, $$, time, $name_counter;
}

# new_org(NAME, enabled => 1|0) -> NAME
sub new_org {
    my ($name, %a) = @_;
    admin_ok('org', 'add', $name);
    admin_ok('org', 'enable', $name) if $a{enabled} // 1;
    return $name;
}

sub new_profile {
    my ($org, $name, %a) = @_;
    admin_ok('profile', 'add', $org, $name);
    admin_ok('grant', 'profile', $org, $name) if $a{grant};
    return $name;
}

# new_user(ORG, NAME, grant => 1|0, profiles => [..]) -> NAME
sub new_user {
    my ($org, $name, %a) = @_;
    admin_ok('user', 'add', $org, $name, map { ('--profile', $_) } @{ $a{profiles} || [] });
    admin_ok('grant', 'user', $name) if $a{grant};
    return $name;
}

# enforced_user('stem', certs => ['alice'], org_certs => [...]) -> (user, org):
# a fresh organisation with the switch on and one user with the permission.
sub enforced_user {
    my ($stem, %a) = @_;
    my $org = new_org(uname("org-$stem"), enabled => $a{enabled} // 1);
    my $user = new_user($org, uname($stem), grant => $a{grant} // 1);
    add_cert(user => $user, leaf => $_) for @{ $a{certs} || [] };
    add_cert(org => $org, leaf => $_) for @{ $a{org_certs} || [] };
    return ($user, $org);
}

# add_cert(user => U | org => O, leaf => 'alice')
sub add_cert {
    my %a = @_;
    my @owner = $a{user} ? ('--user', $a{user}) : ('--org', $a{org});
    admin_ok('cert', 'add', @owner, '--chain', pki("$a{leaf}-chain.pem"), pki("$a{leaf}.pem"));
}

sub remove_cert {
    my $leaf = shift;
    admin_ok('cert', 'remove', cert_sha256($leaf));
}

# new_session(USER, ttl => S, token => T) -> token
sub new_session {
    my ($user, %a) = @_;
    my @opt;
    push @opt, '--ttl', $a{ttl} if defined $a{ttl};
    push @opt, '--token', $a{token} if defined $a{token};
    my $out = admin_ok('session', 'create', $user, @opt);
    my ($token) = $out =~ /^\s*(\S+)\s*$/ or die "session create printed '$out'\n";
    return $token;
}

# ------------------------------------------------------------ raw SQL

sub pg_bin {
    my $tool = shift;
    my $dir = $ENV{MAUTH_TEST_PGBIN} || '/usr/lib/postgresql/15/bin';
    return -x "$dir/$tool" ? "$dir/$tool" : $tool;
}

# sql(STATEMENTS) -> output (rows '|'-separated); dies on error.
sub sql {
    my $statement = shift;
    my @cmd;
    if (is_pgsql()) {
        @cmd = (pg_bin('psql'), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
                '-d', store_params(), '-c', $statement);
    }
    else {
        @cmd = ('sqlite3', '-batch', '-bail', '-cmd', '.timeout 10000', store_params(),
                $statement);
    }
    my $out = File::Temp->new;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out->filename or die;
        open STDERR, '>&', \*STDOUT or die;
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    local $/;
    open my $fh, '<', $out->filename;
    my $text = <$fh> // '';
    die "SQL failed (exit $rc): $statement\n$text\n" if $rc != 0;
    return $text;
}

sub sql_value {
    my $v = sql(shift);
    $v =~ s/\s+$//;
    $v =~ s/^\s+//;
    return $v;
}

# Row counts of every table, for "the store is intact" checks.
sub store_counts {
    my %n;
    for my $t (qw(mauth_org mauth_profile mauth_user mauth_user_profile
                  mauth_certificate mauth_session mauth_schema_version)) {
        $n{$t} = sql_value("SELECT COUNT(*) FROM $t");
    }
    return \%n;
}

# ------------------------------------------------------------ PostgreSQL

sub as_postgres {
    my @cmd = @_;
    return $> == 0 ? ('runuser', '-u', 'postgres', '--', @cmd) : @cmd;
}

sub pg_env_ok {
    return $ENV{MAUTH_TEST_PGDATA} && $ENV{MAUTH_TEST_PGPORT} && $ENV{MAUTH_TEST_PGSOCK};
}

sub pg_ctl {
    my @args = @_;
    die "MAUTH_TEST_PGDATA/PGPORT/PGSOCK not set\n" unless pg_env_ok();
    my $log = $ENV{MAUTH_TEST_PGLOG} || "$ENV{MAUTH_TEST_PGDATA}/../server.log";
    my @cmd = as_postgres(pg_bin('pg_ctl'), '-D', $ENV{MAUTH_TEST_PGDATA}, '-w', '-t', '60',
                          '-l', $log, @args);
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    return $? == 0;
}

sub pg_stop { pg_ctl('-m', 'fast', 'stop') }

sub pg_start {
    pg_ctl('-o', "-p $ENV{MAUTH_TEST_PGPORT} -k $ENV{MAUTH_TEST_PGSOCK} -c listen_addresses=''",
           'start');
}

sub pg_running {
    return 0 unless pg_env_ok();
    my @cmd = (pg_bin('pg_isready'), '-q', '-h', $ENV{MAUTH_TEST_PGSOCK},
               '-p', $ENV{MAUTH_TEST_PGPORT});
    return system(@cmd) == 0;
}

# ------------------------------------------------------------ requests

my $req_counter = 0;

sub new_id {
    (my $base = $0) =~ s{.*/}{};
    $base =~ s/\.t$//;
    $req_counter++;
    return sprintf 'id-%s-%d-%d-%d', $base, $$, time, $req_counter;
}

# id_request(vhost => 'identity_mutual' | 'identity_standard',
#            path => '/id/enforce/backend.cgi',
#            cert => 'alice' (leaf + intermediates) | undef,
#            method => 'GET' | 'POST', headers => [Name => value, ...],
#            body => BYTES, content_type => TYPE)
# -> {status, content_type, headers, body, env, id}; env is the back end's
# NAME=VALUE lines.
sub id_request {
    my %a = @_;
    my $id = new_id();
    my $fail = sub {
        return { status => 0, error => shift, id => $id, headers => {}, body => '',
                 content_type => '', env => {} };
    };
    my ($sock, $err) = MAuth::Test::open_tls(vhost => $a{vhost}, cert => $a{cert},
                                             %{ $a{tls} || {} });
    return $fail->("TLS handshake failed: $err") unless $sock;
    my $method = $a{method} || (defined $a{body} ? 'POST' : 'GET');
    my $port = $sock->peerport;
    my $req = "$method $a{path} HTTP/1.1\r\nHost: localhost:$port\r\n"
            . "X-Test-Id: $id\r\nConnection: close\r\n";
    my @h = @{ $a{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    if (defined $a{body}) {
        $req .= "Content-Type: $a{content_type}\r\n" if defined $a{content_type};
        $req .= 'Content-Length: ' . length($a{body}) . "\r\n";
    }
    $req .= "\r\n";
    $req .= $a{body} if defined $a{body};
    my $off = 0;
    while ($off < length $req) {
        my $n = $sock->syswrite($req, length($req) - $off, $off);
        unless (defined $n && $n > 0) {
            # the server may answer (and close) before reading everything
            last;
        }
        $off += $n;
    }
    my $res = MAuth::Test::read_response($sock);
    $sock->close(SSL_no_shutdown => 1);
    $res->{id} = $id;
    $res->{env} = MAuth::Test::parse_env($res->{body});
    return $res;
}

sub runlog_mark { -s runlog() || 0 }

# id_ran(ID): did the back end run for that request?
sub id_ran {
    my $id = shift;
    Time::HiRes::sleep(0.05);
    open my $fh, '<', runlog() or return 0;
    while (<$fh>) {
        return 1 if /\bid=\Q$id\E\s/;
    }
    return 0;
}

sub describe {
    my $res = shift;
    return "status=$res->{status}"
         . ($res->{error} ? " error=$res->{error}" : '')
         . " content-type=$res->{content_type} body=" . substr($res->{body} // '', 0, 600);
}

# ------------------------------------------------------------ the seeds' texts

sub expected_page { MAuth::Test::expected_page(@_) }

use constant FAILED_MESSAGE =>
    'This session could not be mutually authenticated for use with the API';

# The seed blog's fault (shared/seeds/003, "What about calling the regular
# 443 port with this session ID?"), its indentation removed.
sub expected_soap_fault {
    return '<?xml version="1.0" encoding="UTF-8"?>'
         . '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
         . ' xmlns:sf="urn:fault.partner.soap.sforce.com"'
         . ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
         . '<soapenv:Body>'
         . '<soapenv:Fault>'
         . '<faultcode>sf:MUTUAL_AUTHENTICATION_FAILED</faultcode>'
         . '<faultstring>MUTUAL_AUTHENTICATION_FAILED: ' . FAILED_MESSAGE . '</faultstring>'
         . '<detail>'
         . '<sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault">'
         . '<sf:exceptionCode>MUTUAL_AUTHENTICATION_FAILED</sf:exceptionCode>'
         . '<sf:exceptionMessage>' . FAILED_MESSAGE . '</sf:exceptionMessage>'
         . '</sf:UnexpectedErrorFault>'
         . '</detail>'
         . '</soapenv:Fault>'
         . '</soapenv:Body>'
         . '</soapenv:Envelope>';
}

sub expected_json_error {
    return '[{"message":"' . FAILED_MESSAGE . '","errorCode":"MUTUAL_AUTHENTICATION_FAILED"}]';
}

# A SOAP request in the seed's shape (getuserinfo.xml), with the session
# in the SessionHeader, optionally padded to a size with an XML comment.
sub soap_envelope {
    my %a = @_;
    my $header = defined $a{session}
        ? "  <soapenv:Header>\n    <urn:SessionHeader>\n"
          . "      <urn:sessionId>$a{session}</urn:sessionId>\n"
          . "    </urn:SessionHeader>\n  </soapenv:Header>\n"
        : '';
    my $xml = qq{<?xml version="1.0" encoding="utf-8"?>\n}
            . qq{<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n}
            . qq{ xmlns:urn="urn:partner.soap.sforce.com">\n}
            . $header
            . "  <soapenv:Body>\n    <urn:getUserInfo />\n";
    my $tail = "  </soapenv:Body>\n</soapenv:Envelope>\n";
    if ($a{size}) {
        my $pad = $a{size} - length($xml) - length($tail) - length("<!--  -->\n");
        die "soap_envelope: size $a{size} too small\n" if $pad < 0;
        # varied padding, so a truncated or reordered body changes its hash
        my $fill = '';
        my $i = 0;
        $fill .= sprintf('%07d ', $i++) while length($fill) < $pad;
        $xml .= '<!-- ' . substr($fill, 0, $pad) . " -->\n";
    }
    return $xml . $tail;
}

# ------------------------------------------------------------ assertions

# assert_page($res, reason => SENTENCE, status => 403): the Certificate
# Error page, byte for byte, and the back end did not run.
sub assert_page {
    my ($res, %a) = @_;
    my $status = $a{status} || 403;
    my $ok = 1;
    $ok &= Test::More::is($res->{status}, $status, "HTTP status $status")
        or Test::More::diag(describe($res));
    $ok &= Test::More::like($res->{content_type}, qr{^text/html\b}i, 'content type text/html');
    $ok &= Test::More::is($res->{body}, expected_page($a{reason}),
                          "body is the Certificate Error page: $a{reason}");
    $ok &= Test::More::ok(!id_ran($res->{id}), 'back end did not run');
    return $ok;
}

# assert_fault($res, format => 'soap' | 'json', status => 500|401|503)
sub assert_fault {
    my ($res, %a) = @_;
    my $ok = 1;
    if ($a{format} eq 'soap') {
        my $status = $a{status} || 500;
        $ok &= Test::More::is($res->{status}, $status, "HTTP status $status")
            or Test::More::diag(describe($res));
        $ok &= Test::More::is($res->{content_type}, 'text/xml; charset=UTF-8',
                              'content type text/xml; charset=UTF-8');
        my $b = $res->{body} // '';
        $ok &= Test::More::is($b, expected_soap_fault(), 'body is the seed\'s SOAP fault');
        # the same, element by element, so a failure says what differs
        my %want = (
            faultcode            => 'sf:MUTUAL_AUTHENTICATION_FAILED',
            faultstring          => 'MUTUAL_AUTHENTICATION_FAILED: ' . FAILED_MESSAGE,
            'sf:exceptionCode'   => 'MUTUAL_AUTHENTICATION_FAILED',
            'sf:exceptionMessage' => FAILED_MESSAGE,
        );
        for my $el (sort keys %want) {
            my ($got) = $b =~ m{<\Q$el\E>([^<]*)</\Q$el\E>};
            $ok &= Test::More::is($got, $want{$el}, "$el is '$want{$el}'");
        }
        my %ns = (
            soapenv => 'http://schemas.xmlsoap.org/soap/envelope/',
            sf      => 'urn:fault.partner.soap.sforce.com',
            xsi     => 'http://www.w3.org/2001/XMLSchema-instance',
        );
        for my $p (sort keys %ns) {
            my ($got) = $b =~ m{xmlns:\Q$p\E="([^"]*)"};
            $ok &= Test::More::is($got, $ns{$p}, "namespace $p is $ns{$p}");
        }
        $ok &= Test::More::like($b, qr{<sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault">},
                                'detail holds sf:UnexpectedErrorFault');
    }
    else {
        my $status = $a{status} || 401;
        $ok &= Test::More::is($res->{status}, $status, "HTTP status $status")
            or Test::More::diag(describe($res));
        $ok &= Test::More::like($res->{content_type}, qr{^application/json\s*;\s*charset=UTF-8$}i,
                                'content type application/json; charset=UTF-8');
        $ok &= Test::More::is($res->{body}, expected_json_error(), 'body is the JSON error');
    }
    $ok &= Test::More::ok(!id_ran($res->{id}), 'back end did not run');
    return $ok;
}

# assert_passed($res, user => U, matched => 'user'|'organization'|undef,
#               enforced => 'true'|'false')
sub assert_passed {
    my ($res, %a) = @_;
    my $ok = 1;
    my $env = $res->{env};
    $ok &= Test::More::is($res->{status}, 200, 'HTTP status 200')
        or Test::More::diag(describe($res));
    $ok &= Test::More::ok(id_ran($res->{id}), 'back end ran');
    $ok &= Test::More::is($env->{MAUTH_USER}, $a{user}, "MAUTH_USER is $a{user}")
        if exists $a{user};
    $ok &= Test::More::is($env->{MAUTH_ORG}, $a{org}, "MAUTH_ORG is $a{org}")
        if exists $a{org};
    $ok &= Test::More::is($env->{MAUTH_ENFORCED}, $a{enforced}, "MAUTH_ENFORCED is "
                          . ($a{enforced} // 'unset')) if exists $a{enforced};
    $ok &= Test::More::is($env->{MAUTH_CERT_MATCHED}, $a{matched}, 'MAUTH_CERT_MATCHED is '
                          . ($a{matched} // 'unset')) if exists $a{matched};
    if (defined $a{body}) {
        $ok &= Test::More::is($env->{BODY_LENGTH}, length($a{body}),
                              'back end received the whole body (length)');
        $ok &= Test::More::is($env->{BODY_SHA256}, Digest::SHA::sha256_hex($a{body}),
                              'back end received the identical body (SHA-256)');
    }
    return $ok;
}

# assert_declined($res, body => BYTES): the module let the application
# answer without naming a user.
# assert_refused($res, STATUS): refused with STATUS, the back end not run.
sub assert_refused {
    my ($res, $status) = @_;
    my $ok = Test::More::is($res->{status}, $status, "HTTP status $status")
        or Test::More::diag(describe($res));
    $ok &= Test::More::ok(!id_ran($res->{id}), 'back end did not run');
    return $ok;
}

sub assert_declined {
    my ($res, %a) = @_;
    my $ok = assert_passed($res, %a);
    for my $v (qw(MAUTH_USER MAUTH_ORG MAUTH_ENFORCED MAUTH_CERT_MATCHED)) {
        $ok &= Test::More::ok(!exists $res->{env}->{$v}, "no $v");
    }
    return $ok;
}

# ------------------------------------------------------------ certificates

sub cert_der {
    my $leaf = shift;
    my $pem = do { local (@ARGV, $/) = (pki("$leaf.pem")); <> };
    my ($b64) = $pem =~ /-----BEGIN CERTIFICATE-----\s*(.*?)-----END CERTIFICATE-----/s
        or die "no certificate in $leaf.pem\n";
    return MIME::Base64::decode_base64($b64);
}

sub cert_sha256 { Digest::SHA::sha256_hex(cert_der(shift)) }

# RFC 9440 / RFC 8941 sf-binary of a certificate's DER.
sub sf_binary { ':' . MIME::Base64::encode_base64(cert_der(shift), '') . ':' }

# ------------------------------------------------------------ basic auth

# Whether /id/basic/ is configured: identity.conf.in loads mod_auth_basic,
# mod_authn_file, mod_authn_core and mod_authz_user from
# MAUTH_TEST_LIBEXECDIR, unless the inherited config has them already.
sub basic_auth_available {
    my $mods = Apache::Test::config()->{modules} || {};
    my $dir = $ENV{MAUTH_TEST_LIBEXECDIR} // '';
    for my $m (qw(auth_basic authn_file authn_core authz_user)) {
        next if $mods->{"mod_$m.c"};
        return 0 unless $dir ne '' && -f "$dir/mod_$m.so";
    }
    return 1;
}

sub htpasswd_file { t_dir() . '/logs/identity.htpasswd' }

# write_htpasswd(user => password, ...): adds lines ({SHA} hashes) to the
# password file /id/basic/ uses.
sub write_htpasswd {
    my %users = @_;
    my $file = htpasswd_file();
    open my $fh, '>>', $file or die "$file: $!";
    for my $u (sort keys %users) {
        die "user name '$u' cannot hold ':'\n" if $u =~ /:/;
        print $fh "$u:{SHA}" . MIME::Base64::encode_base64(Digest::SHA::sha1($users{$u}), '')
                 . "\n";
    }
    close $fh;
    chmod 0644, $file;
}

# ------------------------------------------------------------ logs, time

sub error_log_mark { MAuth::Test::error_log_mark() }
sub error_log_since { MAuth::Test::error_log_since(@_) }

# Waits out MAuthStoreCacheTimeout (1 s in identity.conf.in) with a margin.
sub wait_cache { Time::HiRes::sleep(shift // 2.2) }

1;
