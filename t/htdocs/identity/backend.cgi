#!/usr/bin/env perl
# Back end of mod_mauth's identity tests (t/identity/*.t).  Prints, one
# NAME=VALUE line each, what it received from httpd: the MAUTH_* variables,
# REMOTE_USER, the request body's length and SHA-256 (proof that the body
# the module peeked at arrives whole), and the Client-Cert /
# Client-Cert-Chain request headers.  Appends one line per run to
# $MAUTH_ID_RUNLOG so a test can prove that a refused request never got
# here.
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
        printf $fh "run id=%s pid=%d uri=%s user=%s\n",
            $ENV{HTTP_X_TEST_ID} // '-', $$, $ENV{REQUEST_URI} // '-',
            $ENV{MAUTH_USER} // '-';
        close $fh;
    }
}

print "Content-Type: text/plain\n\n";
print "BACKEND=ran\n";
for my $n (sort grep { /^MAUTH_/ } keys %ENV) {
    next if $n eq 'MAUTH_ID_RUNLOG';
    (my $v = $ENV{$n}) =~ s/\n/\\n/g;
    print "$n=$v\n";
}
for my $n (qw(REMOTE_USER AUTH_TYPE SSL_CLIENT_VERIFY CONTENT_LENGTH
              HTTP_CLIENT_CERT HTTP_CLIENT_CERT_CHAIN)) {
    next unless defined $ENV{$n};
    (my $v = $ENV{$n}) =~ s/\n/\\n/g;
    print "$n=$v\n";
}
print "BODY_LENGTH=", length($body), "\n";
print "BODY_SHA256=", Digest::SHA::sha256_hex($body), "\n";
