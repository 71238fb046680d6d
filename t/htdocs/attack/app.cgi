#!/usr/bin/env perl
# The application behind mod_mauth's attack tests (t/attack/cred_*.t,
# redirect_*.t, headers_*.t), served directly, as /front/soap.cgi behind
# internal redirects and subrequests, and as the proxied back end.
#
# Like t/htdocs/identity/backend.cgi it appends one line per run to
# $MAUTH_ID_RUNLOG (the same run log, so MAuth::Store's id_ran() and
# assert_* work) and prints NAME=VALUE lines: the MAUTH_* variables, the
# body's length and SHA-256, the Client-Cert headers a CGI can see.  It
# also reads the SOAP SessionHeader the way a careless application would
# (a pattern over the raw body, every sessionId in document order,
# whatever its namespace or markup), so a test can show which session the
# application would have served while the module looked at another.
use strict;
use warnings;
use Digest::SHA ();

binmode STDIN;
my $body = '';
while (1) {
    my $n = read(STDIN, my $chunk, 65536);
    last unless $n;
    $body .= $chunk;
}

if (my $log = $ENV{MAUTH_ID_RUNLOG}) {
    if (open my $fh, '>>', $log) {
        printf $fh "run id=%s pid=%d uri=%s user=%s app=attack\n",
            $ENV{HTTP_X_TEST_ID} // '-', $$, $ENV{REQUEST_URI} // '-',
            $ENV{MAUTH_USER} // '-';
        close $fh;
    }
}

my @sessions;
while ($body =~ m{<(?:[\w.-]+:)?sessionId\b[^>]*>(.*?)</(?:[\w.-]+:)?sessionId\s*>}gs) {
    (my $s = $1) =~ s/^\s+|\s+$//g;
    push @sessions, $s;
}

print "Content-Type: text/plain\n\n";
print "BACKEND=ran\n";
for my $n (sort grep { /^(?:REDIRECT_)*MAUTH_/ } keys %ENV) {
    next if $n =~ /MAUTH_ID_RUNLOG$/;
    (my $v = $ENV{$n}) =~ s/\n/\\n/g;
    print "$n=$v\n";
}
for my $n (qw(REMOTE_USER SSL_CLIENT_VERIFY CONTENT_LENGTH REQUEST_METHOD REQUEST_URI
              SCRIPT_NAME REDIRECT_STATUS REDIRECT_URL HTTP_CLIENT_CERT
              HTTP_CLIENT_CERT_CHAIN)) {
    next unless defined $ENV{$n};
    (my $v = $ENV{$n}) =~ s/\n/\\n/g;
    print "$n=$v\n";
}
print "APP_SESSION_IDS=", join(',', map { s/[\r\n]/ /gr } @sessions), "\n";
print "BODY_LENGTH=", length($body), "\n";
print "BODY_SHA256=", Digest::SHA::sha256_hex($body), "\n";
