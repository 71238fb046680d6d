# Which request bodies the module reads, and what it does with the ones it
# cannot read.  The module used to look for a SessionHeader only when the
# request said it was SOAP (an XML content type or SOAPAction), read the
# body as it came (compressed or not), and let a body larger than
# MAuthSOAPPeekLimit through whenever another credential came with it.  An
# enforced user sent its envelope as text/plain, without a content type, or
# gzip-compressed, or padded past the limit behind a plain user's Bearer
# token, and an application that reads the body anyway served it without a
# certificate.
#
# Now: which bodies are read does not depend on Content-Type or
# SOAPAction; a body with a Content-Encoding other than identity where the
# SOAP source is read: 415; an XML-looking body larger than
# MAuthSOAPPeekLimit: 413 whatever other credential comes with it.  Every
# body that passes reaches the application byte for byte.  Both vhosts, a
# location with MAuthEnforce on and the default sources (default peek
# limit, 64 KiB).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use IO::Compress::Gzip ();
use IO::Compress::Deflate ();
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(39);

my $API = '/ac/enforce/app.cgi';
my $u = attack_users('body');
my ($etok, $ptok) = @$u{qw(etok ptok)};
my $ebody = soap_envelope(session => $etok);
my $pbody = soap_envelope(session => $ptok);
my @xml = soap_headers();
my $plain_bearer = [Authorization => "Bearer $ptok"];

sub gzipped {
    my $in = shift;
    IO::Compress::Gzip::gzip(\$in => \my $out) or die $IO::Compress::Gzip::GzipError;
    return $out;
}
sub deflated {
    my $in = shift;
    IO::Compress::Deflate::deflate(\$in => \my $out) or die $IO::Compress::Deflate::DeflateError;
    return $out;
}
# bytes that do not look like XML (the first is NUL), varied so a
# truncated or reordered body changes its hash
sub binary { my $n = shift; join '', map { chr(($_ * 7) % 256) } 0 .. $n - 1 }

my $big_ebody = soap_envelope(session => $etok, size => 70_000);
my $big_pbody = soap_envelope(session => $ptok, size => 70_000);

for my $v ($S, $M) {
    my $where = vhost_label($v);
    my $req = sub { ac_request(vhost => $v, path => $API, @_) };

    # ---- Content-Type and SOAPAction do not decide what is read
    subtest "$where: the enforced user's envelope as text/plain, no SOAPAction: the requirement applies" => sub {
        assert_enforced_refusal($req->(body => $ebody, content_type => 'text/plain'),
                                vhost => $v, format => 'either');
    };
    subtest "$where: the enforced user's envelope without any Content-Type: the requirement applies" => sub {
        assert_enforced_refusal($req->(body => $ebody), vhost => $v, format => 'either');
    };
    subtest "$where: the enforced user's envelope as application/octet-stream: the requirement applies" => sub {
        assert_enforced_refusal($req->(body => $ebody, content_type => 'application/octet-stream'),
                                vhost => $v, format => 'either');
    };
    subtest "$where: the enforced user's envelope as text/plain, chunked: the requirement applies" => sub {
        assert_enforced_refusal($req->(body => $ebody, content_type => 'text/plain', chunked => 1),
                                vhost => $v, format => 'either');
    };
    subtest "$where: control: the enforced user's envelope as text/xml, chunked: refused" => sub {
        assert_enforced_refusal($req->(body => $ebody, @xml, chunked => 1),
                                vhost => $v, format => 'soap');
    };

    # ---- encodings
    subtest "$where: the enforced user's envelope gzip-compressed (Content-Encoding: gzip): 415" => sub {
        assert_status($req->(body => gzipped($ebody), @xml,
                             headers => ['SOAPAction' => '""', 'Content-Encoding' => 'gzip']), 415);
    };
    subtest "$where: a plain user's envelope gzip-compressed: 415 as well (cannot be read)" => sub {
        assert_status($req->(body => gzipped($pbody), @xml,
                             headers => ['SOAPAction' => '""', 'Content-Encoding' => 'gzip']), 415);
    };
    subtest "$where: a deflate-compressed envelope, no Content-Type: 415" => sub {
        assert_status($req->(body => deflated($ebody),
                             headers => ['Content-Encoding' => 'deflate']), 415);
    };

    # ---- the peek limit
    subtest "$where: a 70 KB envelope (over MAuthSOAPPeekLimit) behind a plain user's Bearer token: 413" => sub {
        assert_status($req->(body => $big_ebody, @xml, headers => ['SOAPAction' => '""',
                                                                  @$plain_bearer]), 413);
    };
    subtest "$where: the same as text/plain without SOAPAction: 413" => sub {
        assert_status($req->(body => $big_ebody, content_type => 'text/plain',
                             headers => $plain_bearer), 413);
    };
    subtest "$where: a plain user's own 70 KB envelope with its Bearer token: 413 too" => sub {
        assert_status($req->(body => $big_pbody, @xml, headers => ['SOAPAction' => '""',
                                                                  @$plain_bearer]), 413);
    };

    # ---- the legitimate bodies beside them
    subtest "$where: legit: the plain user's envelope as text/plain passes, body intact" => sub {
        assert_ok_twin($req->(body => $pbody, content_type => 'text/plain'), body => $pbody);
    };
    subtest "$where: legit: the plain user's envelope without Content-Type passes, body intact" => sub {
        assert_ok_twin($req->(body => $pbody), body => $pbody);
    };
    subtest "$where: legit: Content-Encoding: identity is read as is and passes" => sub {
        assert_ok_twin($req->(body => $pbody, @xml,
                              headers => ['SOAPAction' => '""', 'Content-Encoding' => 'identity']),
                       user => $u->{plain}, body => $pbody);
    };
    subtest "$where: legit: 200 KB of binary (not XML) with a plain Bearer token passes, byte for byte" => sub {
        my $body = binary(200_000);
        assert_ok_twin($req->(body => $body, content_type => 'application/octet-stream',
                              headers => $plain_bearer), user => $u->{plain}, body => $body);
    };
    subtest "$where: legit: the same binary chunked, no Content-Type, passes byte for byte" => sub {
        my $body = binary(150_001);
        assert_ok_twin($req->(body => $body, chunked => 1, headers => $plain_bearer),
                       user => $u->{plain}, body => $body);
    };
    subtest "$where: legit: a 60 KB plain user's envelope, chunked, passes byte for byte" => sub {
        my $body = soap_envelope(session => $ptok, size => 60_000);
        assert_ok_twin($req->(body => $body, @xml, chunked => 1), user => $u->{plain},
                       body => $body);
    };
    subtest "$where: legit: gzip where SOAP is not a source (MAuthUserSource bearer) passes, byte for byte" => sub {
        my $body = gzipped($ebody);
        my $res = ac_request(vhost => $v, path => '/ac/bearer/app.cgi', body => $body, @xml,
                             headers => ['Content-Encoding' => 'gzip', @$plain_bearer]);
        assert_ok_twin($res, user => $u->{plain}, body => $body);
    };
}

subtest 'mutual vhost, legit: the enforced user\'s envelope as text/plain with its certificate passes, body intact' => sub {
    my $res = ac_request(vhost => $M, path => $API, cert => 'alice', body => $ebody,
                         content_type => 'text/plain');
    assert_ok_twin($res, body => $ebody);
};

subtest 'mutual vhost with the enforced user\'s certificate: a 70 KB envelope with its Bearer token: 413 still' => sub {
    my $res = ac_request(vhost => $M, path => $API, cert => 'alice', body => $big_ebody, @xml,
                         headers => ['SOAPAction' => '""', Authorization => "Bearer $etok"]);
    assert_status($res, 413);
};

subtest 'mutual vhost, legit: the enforced user with its certificate, 60 KB envelope, passes byte for byte' => sub {
    my $body = soap_envelope(session => $etok, size => 60_000);
    my $res = ac_request(vhost => $M, path => $API, cert => 'alice', body => $body, @xml);
    assert_ok_twin($res, user => $u->{enforced}, matched => 'user', body => $body);
};
