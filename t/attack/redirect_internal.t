# Internal redirects and subrequests are judged by the configuration of the
# location they end up at.  The module skipped every request that was not
# the initial one (ap_is_initial_req), so a URL whose own location is not
# enforced but that httpd serves from an enforced one (DirectoryIndex,
# FallbackResource, a mod_rewrite rule in directory context, a local
# ErrorDocument, an SSI include) ran the enforced script for an enforced
# user without a certificate.
#
# Here only <Location /front/soap.cgi> has MAuthEnforce on (the directory
# and the other URLs do not).  For each way of reaching it, on both vhosts:
# the enforced user without a certificate (standard vhost; mutual vhost
# with none, or with a valid one not registered for it) must not run the
# script; with its registered certificate on the mutual vhost it does; a
# plain user's request does too.  The SOAP session travels in the body
# where the request keeps its body (POST), as a Bearer token where httpd
# turns the request into a GET (ErrorDocument, SSI).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Digest::SHA ();
use MAuth::Store;
use MAuth::AttackCred;

my $u = attack_users('redir');

# [what, path, 'soap' | 'bearer', kind]; kind: 'plain' (the script's own
# answer, 200), 'errordoc' (the script answers as the 404 ErrorDocument),
# 'ssi' (the script's output inside a 200 page)
my @ways = (
    ['DirectoryIndex soap.cgi (POST /front/)', '/front/', 'soap', 'plain'],
    ['DirectoryIndex soap.cgi (GET /front/ with a Bearer token)', '/front/', 'bearer', 'plain'],
    ['FallbackResource /front/soap.cgi (POST /fb/anything)', '/fb/anything', 'soap', 'plain'],
    ['a RewriteRule [PT] in directory context (POST /rw/placeholder.txt)',
     '/rw/placeholder.txt', 'soap', 'plain'],
    ['a RewriteRule [PT] in vhost context (POST /rwv/x)', '/rwv/x', 'soap', 'plain'],
    ['ErrorDocument 404 /front/soap.cgi (GET /e404/missing)', '/e404/missing', 'bearer',
     'errordoc'],
    ['an SSI include virtual of /front/soap.cgi (GET /ssi/page.shtml)', '/ssi/page.shtml',
     'bearer', 'ssi'],
);

# [label, vhost, cert, user, expect 'refused' | 'runs']
my @who = (
    ['standard vhost, the enforced user', $S, undef, 'e', 'refused'],
    ['mutual vhost, the enforced user without a certificate', $M, undef, 'e', 'refused'],
    ['mutual vhost, the enforced user with a valid certificate not registered for it', $M,
     'bob', 'e', 'refused'],
    ['mutual vhost, the enforced user with its registered certificate', $M, 'alice', 'e', 'runs'],
    ['legit: standard vhost, a plain user', $S, undef, 'p', 'runs'],
    ['legit: mutual vhost, a plain user without a certificate', $M, undef, 'p', 'runs'],
);

attack_plan(@ways * @who);

for my $way (@ways) {
    my ($what, $path, $cred, $kind) = @$way;
    for my $w (@who) {
        my ($label, $vhost, $cert, $user, $expect) = @$w;
        my $tok = $u->{"${user}tok"};
        my %req = $cred eq 'soap'
            ? (body => soap_envelope(session => $tok), soap_headers())
            : (headers => [Authorization => "Bearer $tok"]);
        my $name = "$what: $label: "
                 . ($expect eq 'runs' ? 'the script runs' : 'the script does not run');
        subtest $name => sub {
            my $res = ac_request(vhost => $vhost, path => $path, cert => $cert, %req);
            my $ran = id_ran($res->{id});
            if ($expect eq 'refused') {
                ok(!$ran, 'back end did not run') or diag describe($res);
                unlike($res->{body}, qr/^BACKEND=ran$/m, 'no output of the script in the answer');
                if ($kind eq 'ssi') {
                    ok($res->{status} == 200 || $res->{status} >= 400,
                       "an answer came back (status $res->{status})");
                }
                else {
                    ok($res->{status} >= 400, "refused (status $res->{status} is not 200)")
                        or diag describe($res);
                }
                return;
            }
            my $status = $kind eq 'errordoc' ? 404 : 200;
            is($res->{status}, $status, "HTTP status $status") or diag describe($res);
            ok($ran, 'back end ran');
            like($res->{body}, qr/^BACKEND=ran$/m, 'the script\'s output is in the answer');
            like($res->{body}, qr/^SCRIPT_NAME=\/front\/soap\.cgi$/m, 'it ran as /front/soap.cgi');
            if ($cred eq 'soap') {
                is($res->{env}->{BODY_SHA256}, Digest::SHA::sha256_hex($req{body}),
                   'the script received the identical body');
            }
        };
    }
}
