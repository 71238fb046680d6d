package MAuth::AttackCred;
# Helpers for the credential, redirect and header part of mod_mauth's
# attack suite (t/attack/cred_*.t, redirect_*.t, headers_*.t) against the
# vhosts of t/conf/attack-cred.conf.in:
#
#   * attack_plan: plans, or skips like identity_plan when the store or
#     the vhosts are missing;
#   * ac_request: id_request's twin that also sends a chunked body and
#     raw header lines (duplicates, odd names), and reads the echo headers;
#   * SOAP bodies with decoys, duplicates and markup;
#   * the answers an attack must get: the enforced user's refusal (the
#     seed's fault on the standard vhost, the Certificate Error page on the
#     mutual vhost without a certificate), or a plain status; always with
#     the back end proven not to have run.
#
# The store, the users and the run log are MAuth::Store's.
use strict;
use warnings;

use Exporter 'import';
use Test::More ();
use Apache::Test ();
use MAuth::Test ();
use MAuth::Store ();

$SIG{PIPE} = 'IGNORE';

our $M = 'attack_cred_mutual';
our $S = 'attack_cred_standard';
our $ECHO = 'attack_cred_echo';

our @EXPORT = qw(
    $M $S attack_plan attack_users ac_request
    envelope session_header soap_headers vhost_label
    assert_enforced_refusal assert_status assert_not_passed assert_ok_twin
);

use constant NO_CERT => 'No client certificate provided.';

sub vhost_label { $_[0] eq $M ? 'mutual vhost without a certificate' : 'standard vhost' }

# attack_plan(N): plans N tests, or skips the file saying why it cannot run.
sub attack_plan {
    my $tests = shift;
    my $cfg = Apache::Test::config();
    my $why = MAuth::Store::store_unready();
    if (!$why && grep { !$cfg->{vhosts}->{$_} } $M, $S, $ECHO) {
        $why = 'attack vhosts missing from the configuration (t/conf/attack-cred.conf.in)';
    }
    $why ||= MAuth::Store::not_listening($S, 'attack');
    MAuth::Store::plan_store_tests($tests, $why);
}

# attack_users('stem') -> {enforced, org, plain, other, etok, ptok, otok}:
# an organisation with the switch on, its enforced user (alice's
# certificate uploaded for it), a plain user of the same organisation and
# a plain user of another one, each with a session.
sub attack_users {
    my $stem = shift;
    my ($enforced, $org) = MAuth::Store::enforced_user("$stem-enf", certs => ['alice']);
    my $plain = MAuth::Store::new_user($org, MAuth::Store::uname("$stem-plain"));
    my $other_org = MAuth::Store::new_org(MAuth::Store::uname("org-$stem-other"));
    my $other = MAuth::Store::new_user($other_org, MAuth::Store::uname("$stem-other"));
    return {
        enforced => $enforced, org => $org, plain => $plain, other => $other,
        etok => MAuth::Store::new_session($enforced),
        ptok => MAuth::Store::new_session($plain),
        otok => MAuth::Store::new_session($other),
    };
}

# ac_request(vhost => $M | $S | 'attack_cred_echo', path => '/ac/enforce/app.cgi',
#            cert => 'alice' | undef, method => 'GET' | 'POST',
#            headers => [Name => value, ...] (sent in order, duplicates kept),
#            body => BYTES, content_type => TYPE (none sent when undef),
#            chunked => 1 (Transfer-Encoding: chunked, in 1000-byte chunks))
# -> {status, content_type, headers, body, env, id}: env holds the
# application's NAME=VALUE lines, headers the response's (lower-case names).
sub ac_request {
    my %a = @_;
    my $id = MAuth::Store::new_id();
    my $fail = sub {
        return { status => 0, error => shift, id => $id, headers => {}, body => '',
                 content_type => '', env => {} };
    };
    my $sock;
    if ($a{vhost} eq $ECHO) {
        require IO::Socket::INET;
        $sock = IO::Socket::INET->new(PeerHost => '127.0.0.1', Timeout => 20,
                                      PeerPort => MAuth::Test::vhost_port($ECHO))
            or return $fail->("connect: $!");
    }
    else {
        my $err;
        ($sock, $err) = MAuth::Test::open_tls(vhost => $a{vhost}, cert => $a{cert});
        return $fail->("TLS handshake failed: $err") unless $sock;
    }
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
        if ($a{chunked}) {
            $req .= "Transfer-Encoding: chunked\r\n\r\n";
            for (my $off = 0; $off < length $a{body}; $off += 1000) {
                my $chunk = substr($a{body}, $off, 1000);
                $req .= sprintf("%x\r\n", length $chunk) . $chunk . "\r\n";
            }
            $req .= "0\r\n\r\n";
        }
        else {
            $req .= 'Content-Length: ' . length($a{body}) . "\r\n\r\n" . $a{body};
        }
    }
    else {
        $req .= "\r\n";
    }
    my $off = 0;
    while ($off < length $req) {
        my $n = $sock->syswrite($req, length($req) - $off, $off);
        last unless defined $n && $n > 0;   # the server may answer early
        $off += $n;
    }
    my $res = MAuth::Test::read_response($sock);
    if ($sock->isa('IO::Socket::SSL')) {
        $sock->close(SSL_no_shutdown => 1);
    }
    else {
        $sock->close;
    }
    $res->{id} = $id;
    $res->{env} = MAuth::Test::parse_env($res->{body});
    return $res;
}

# ------------------------------------------------------------ SOAP bodies

# session_header(TOKEN, prefix => 'urn' ('' for none), ns => URI (declared
# on the element when given), ids => [TOKEN, ...] (several sessionId),
# raw => TEXT (the sessionId element's content as is))
sub session_header {
    my ($token, %a) = @_;
    my $p = $a{prefix} // 'urn';
    my $q = $p eq '' ? '' : "$p:";
    my $decl = defined $a{ns} ? ($p eq '' ? qq{ xmlns="$a{ns}"} : qq{ xmlns:$p="$a{ns}"}) : '';
    my @ids = $a{ids} ? @{ $a{ids} } : ($token);
    my $inner = join '', map { "<${q}sessionId>$_</${q}sessionId>" }
        (defined $a{raw} ? ($a{raw}) : @ids);
    return "<${q}SessionHeader$decl>$inner</${q}SessionHeader>";
}

# envelope(headers => [SessionHeader XML, ...], before => TEXT (prolog after
# the XML declaration), decl => 0 (no XML declaration), header_blocks =>
# [[...], [...]] (several soapenv:Header elements))
sub envelope {
    my %a = @_;
    my @blocks = $a{header_blocks} ? @{ $a{header_blocks} } : ($a{headers} || []);
    my $headers = join '', map { '<soapenv:Header>' . join('', @$_) . '</soapenv:Header>' }
        grep { @$_ } @blocks;
    return (($a{decl} // 1) ? qq{<?xml version="1.0" encoding="utf-8"?>\n} : '')
         . ($a{before} // '')
         . qq{<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"}
         . qq{ xmlns:urn="urn:partner.soap.sforce.com">}
         . $headers
         . '<soapenv:Body><urn:getUserInfo/></soapenv:Body></soapenv:Envelope>' . "\n";
}

# The headers a SOAP client sends with the body.
sub soap_headers { (content_type => 'text/xml; charset=UTF-8', headers => ['SOAPAction' => '""']) }

# ------------------------------------------------------------ answers

sub not_run {
    my $res = shift;
    return Test::More::ok(!MAuth::Store::id_ran($res->{id}), 'back end did not run');
}

# assert_enforced_refusal($res, vhost => $M|$S, format => 'soap'|'json'|'either',
#                         or_400 => 1): the enforced user's requirement was
# applied: the seed's SOAP fault (500) or JSON error (401) on the standard
# vhost, the "No client certificate provided." page (403) on the mutual
# vhost without a certificate; with or_400, a 400 (the module found the
# request ambiguous) is accepted instead.  Never 200, never the back end.
sub assert_enforced_refusal {
    my ($res, %a) = @_;
    unless ($res->{status} >= 400) {
        # let through (or no answer at all): say so once, not per element
        Test::More::ok(0, "refused (got status $res->{status})")
            or Test::More::diag(MAuth::Store::describe($res));
        not_run($res);
        return 0;
    }
    if ($a{or_400} && $res->{status} == 400) {
        Test::More::pass('answered 400 (ambiguous credentials)');
        return not_run($res);
    }
    my $ok = 1;
    if ($a{vhost} eq $M) {
        return $ok & MAuth::Store::assert_page($res, reason => NO_CERT);
    }
    my $format = $a{format} || 'soap';
    if ($format eq 'either') {
        $format = $res->{status} == 401 ? 'json' : 'soap';
    }
    return $ok & MAuth::Store::assert_fault($res, format => $format);
}

# assert_status($res, CODE): exactly that status, the back end not run.
sub assert_status {
    my ($res, $code) = @_;
    my $ok = Test::More::is($res->{status}, $code, "HTTP status $code")
        or Test::More::diag(MAuth::Store::describe($res));
    return $ok & not_run($res);
}

# assert_not_passed($res): an HTTP answer that is not 200, the back end not run.
sub assert_not_passed {
    my $res = shift;
    my $ok = Test::More::ok($res->{status} >= 300,
                            "not let through (status $res->{status} is not 200)")
        or Test::More::diag(MAuth::Store::describe($res));
    return $ok & not_run($res);
}

# assert_ok_twin($res, %assert_passed_args): the legitimate request beside
# an attack passes (MAuth::Store::assert_passed).
sub assert_ok_twin { MAuth::Store::assert_passed(@_) }

1;
