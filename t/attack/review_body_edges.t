# Review probes: request bodies the module does not read although the
# application does.  A failing subtest is a hole.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp ();
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(12);

my $API = '/ac/enforce/app.cgi';
my $u = attack_users('rvbody');
my $etok = $u->{etok};
my @xml = soap_headers();

for my $v ($S, $M) {
    my $where = vhost_label($v);
    my $req = sub { ac_request(vhost => $v, path => $API, @_) };

    # XML allows white space before the root element when there is no XML
    # declaration; 70 000 blanks push the '<' past MAuthSOAPPeekLimit.
    my $padded = (' ' x 70_000) . envelope(decl => 0, headers => [session_header($etok)]);
    subtest "$where: enforced envelope after 70000 blanks (no XML declaration): refused (or 413)" => sub {
        my $res = $req->(body => $padded, @xml);
        diag("status $res->{status}; app saw sessions: " . ($res->{env}{APP_SESSION_IDS} // '-'));
        ok($res->{status} >= 400, "not let through (status $res->{status})");
    };

    # HEAD with a body: r->header_only makes ap_request_has_body() false,
    # so the module never peeks, but the CGI still reads it.
    subtest "$where: HEAD with the enforced envelope as body: refused" => sub {
        my $res = $req->(method => 'HEAD', body => envelope(headers => [session_header($etok)]), @xml);
        my $ran = MAuth::Store::id_ran($res->{id});
        diag("status $res->{status}; back end ran: " . ($ran ? 'yes' : 'no'));
        ok($res->{status} >= 400 || !$ran, "refused, or the back end never saw the body (status $res->{status})");
    };
}

# EBCDIC: libxml2 (PHP's SoapServer, lxml, Nokogiri, xmllint) detects
# 4C 6F A7 94 ("<?xm" in EBCDIC) and reads the declared code page; the
# module sees a first byte 'L', "not XML", and names no one.
sub ebcdic {
    my $text = shift;
    require Encode;
    return Encode::encode('cp37', $text);
}
my $ebcdic_body = ebcdic(qq{<?xml version="1.0" encoding="IBM037"?>\n}
                         . envelope(decl => 0, headers => [session_header($etok)]));
for my $v ($S, $M) {
    my $where = vhost_label($v);
    subtest "$where: enforced envelope in EBCDIC (IBM037): refused" => sub {
        my $res = ac_request(vhost => $v, path => $API, body => $ebcdic_body,
                             content_type => 'text/xml; charset=IBM037',
                             headers => ['SOAPAction' => '""']);
        SKIP: {
            skip 'xmllint not installed', 1 unless -x '/usr/bin/xmllint';
            my $f = File::Temp->new;
            binmode $f;
            print $f $ebcdic_body;
            close $f;
            my $seen = `/usr/bin/xmllint --xpath '//*[local-name()="sessionId"]/text()' $f 2>&1`;
            $seen =~ s/\s+$//;
            is($seen, $etok, 'a libxml2 parser reads the enforced session from these bytes');
        }
        ok($res->{status} >= 400, "not let through (status $res->{status})");
    };
    # A session element inside a comment: no element for apr_xml, but the
    # suite's own careless application (a pattern over the raw body) takes it.
    subtest "$where: enforced sessionId inside an XML comment, careless app: refused" => sub {
        my $body = envelope(before => "<!-- <urn:sessionId>$etok</urn:sessionId> -->\n");
        my $res = ac_request(vhost => $v, path => $API, body => $body, @xml);
        diag("status $res->{status}; app saw sessions: " . ($res->{env}{APP_SESSION_IDS} // '-'));
        ok($res->{status} >= 400, "not let through (status $res->{status})");
    };
}

# SOAP with attachments / MTOM: the envelope is the root part of a
# multipart/related body (JAX-WS/CXF, Axis2 accept it inbound); the body
# starts with "--boundary", "not XML" to the module.
my $mtom = "--MIMEBoundary_rv\r\n"
         . qq{Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n}
         . "Content-Transfer-Encoding: binary\r\nContent-ID: <root.message\@cxf.apache.org>\r\n\r\n"
         . envelope(headers => [session_header($etok)])
         . "\r\n--MIMEBoundary_rv--\r\n";
for my $v ($S, $M) {
    my $where = vhost_label($v);
    subtest "$where: enforced envelope as the root part of an MTOM (multipart/related) body: refused" => sub {
        my $res = ac_request(vhost => $v, path => $API, body => $mtom,
                             content_type => 'multipart/related; type="application/xop+xml"; '
                                           . 'boundary="MIMEBoundary_rv"; start="<root.message@cxf.apache.org>"; '
                                           . 'start-info="text/xml"',
                             headers => ['SOAPAction' => '""']);
        diag("status $res->{status}; app saw sessions: " . ($res->{env}{APP_SESSION_IDS} // '-'));
        ok($res->{status} >= 400, "not let through (status $res->{status})");
    };
}

# control: the same envelope without padding is refused
subtest 'control: the envelope unpadded on the standard vhost is refused' => sub {
    assert_enforced_refusal(ac_request(vhost => $S, path => $API,
                                       body => envelope(headers => [session_header($etok)]), @xml),
                            vhost => $S, format => 'soap');
};
subtest 'control: the enforced token as Bearer on the standard vhost is refused' => sub {
    assert_enforced_refusal(ac_request(vhost => $S, path => $API,
                                       headers => [Authorization => "Bearer $etok"]),
                            vhost => $S, format => 'json');
};
