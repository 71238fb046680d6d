#!/usr/bin/perl
# The demo API: a tiny SOAP service in the shape of the seed blog's
# (login, getUserInfo).  It is the application behind httpd; mod_mauth
# decides before it runs and tells it what it decided in MAUTH_* variables.
use strict;
use warnings;

my %DEMO_PASSWORDS = ('api@acme.example' => 'p455w0rd');

my $body = '';
read(STDIN, $body, $ENV{CONTENT_LENGTH} || 0);
my $action = $ENV{HTTP_SOAPACTION} || '';
$action =~ s/^"|"$//g;

sub xml_escape {
    my $s = shift // '';
    $s =~ s/&/&amp;/g; $s =~ s/</&lt;/g; $s =~ s/>/&gt;/g; $s =~ s/"/&quot;/g;
    return $s;
}

sub respond {
    my ($status, $inner) = @_;
    print "Status: $status\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n";
    print qq{<?xml version="1.0" encoding="UTF-8"?>}
        . qq{<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"}
        . qq{ xmlns="urn:partner.soap.sforce.com">$inner</soapenv:Envelope>\n};
    exit 0;
}

sub fault {
    my ($code, $message) = @_;
    respond('500 Internal Server Error',
        '<soapenv:Body><soapenv:Fault>'
        . "<faultcode>$code</faultcode><faultstring>" . xml_escape($message)
        . '</faultstring></soapenv:Fault></soapenv:Body>');
}

if ($action eq 'login') {
    my ($user) = $body =~ m{<(?:\w+:)?username>([^<]*)</(?:\w+:)?username>};
    my ($pass) = $body =~ m{<(?:\w+:)?password>([^<]*)</(?:\w+:)?password>};
    fault('INVALID_LOGIN', 'INVALID_LOGIN: Invalid username or password')
        unless defined $user && defined $pass
            && exists $DEMO_PASSWORDS{$user} && $DEMO_PASSWORDS{$user} eq $pass;
    # The session lives in mod_mauth's store, where the module resolves it.
    my @admin = split ' ', $ENV{MAUTH_DEMO_ADMIN};
    open(my $admin, '-|', @admin, 'session', 'create', $user, '--ttl', '7200')
        or fault('UNKNOWN_EXCEPTION', 'cannot create a session');
    my $session = <$admin>;
    close $admin;
    fault('UNKNOWN_EXCEPTION', 'cannot create a session') unless $session;
    chomp $session;
    my $server = "$ENV{MAUTH_DEMO_MUTUAL_URL}/services/Soap/u/41.0";
    respond('200 OK',
        '<soapenv:Body><loginResponse><result>'
        . "<serverUrl>$server</serverUrl>"
        . '<sessionId>' . xml_escape($session) . '</sessionId>'
        . '<userName>' . xml_escape($user) . '</userName>'
        . '</result></loginResponse></soapenv:Body>');
}

# Every other call needs the session that mod_mauth resolved.
fault('sf:INVALID_SESSION_ID', 'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader')
    unless $ENV{MAUTH_USER};

respond('200 OK',
    '<soapenv:Header><LimitInfoHeader><limitInfo><current>1</current>'
    . '<limit>15000</limit><type>API REQUESTS</type></limitInfo></LimitInfoHeader>'
    . '</soapenv:Header><soapenv:Body><getUserInfoResponse><result>'
    . '<userName>' . xml_escape($ENV{MAUTH_USER}) . '</userName>'
    . '<organizationName>' . xml_escape($ENV{MAUTH_ORG}) . '</organizationName>'
    . '<clientCertificateVerify>' . xml_escape($ENV{MAUTH_CLIENT_VERIFY} // 'NONE')
    . '</clientCertificateVerify>'
    . '<clientCertificateSubject>' . xml_escape($ENV{MAUTH_CLIENT_S_DN} // '')
    . '</clientCertificateSubject>'
    . '<clientCertificateMatched>' . xml_escape($ENV{MAUTH_CERT_MATCHED} // '')
    . '</clientCertificateMatched>'
    . '</result></getUserInfoResponse></soapenv:Body>');
