# SQL metacharacters in session tokens and user names are inert: the
# statements are prepared, the values bound.  An injection-shaped token
# resolves to nobody (the application answers), a real token or user name
# full of metacharacters resolves to exactly its user, and the store is
# intact afterwards.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Digest::SHA ();
use MIME::Base64 ();
use MAuth::Store;

identity_plan(8);

my $S = 'identity_standard';
my $M = 'identity_mutual';
my @xml = (content_type => 'text/xml; charset=UTF-8');

# An enforced user, so any injection that "finds a user" would show as a
# refusal instead of the application's answer.
my ($victim, $org) = enforced_user('sqli-victim', certs => ['alice']);
new_session($victim);
my $before = store_counts();

my @evil = (
    q{' OR '1'='1},
    q{'OR'1'='1},
    q{' OR 1=1 --},
    q{'OR/**/1=1--},
    q{"; DROP TABLE mauth_user; --},
    q{";DROP/**/TABLE/**/mauth_user;--},
    q{x';DELETE/**/FROM/**/mauth_session;--},
    q{x'/**/UNION/**/SELECT/**/1,2,3,4,1,1--},
    q{\\'},
    q{%' OR token LIKE '%},
    q{$1},
    q{%s},
);

sub xml_escape { my $s = shift; $s =~ s/&/&amp;/g; $s =~ s/</&lt;/g; $s =~ s/'/&apos;/g;
                 $s =~ s/"/&quot;/g; $s }

# A token with blanks cannot be read for certain (400), nor one with a comma
# where headers merge with commas; in a cookie (split at ';' and ','), nor
# one a framework would decode ('%', '\\') or unquote ('"').
sub unreadable {
    my ($src, $t) = @_;
    return 1 if $t =~ /\s/;
    return $t =~ /[%\\"]/ if $src eq 'cookie';
    return $src ne 'soap' && $t =~ /,/;
}

sub resolves_to_nobody {
    my ($res, $src, $t) = @_;
    if (unreadable($src, $t)) {
        is($res->{status}, 400, "$src '$t': unreadable, 400") or diag describe($res);
        ok(!id_ran($res->{id}), "$src '$t': the application did not run");
        return;
    }
    is($res->{status}, 200, "$src '$t': the application answers") or diag describe($res);
    ok(!exists $res->{env}->{MAUTH_USER}, "$src '$t': no user");
}

subtest 'injection-shaped tokens in every token source resolve to nobody' => sub {
    for my $t (@evil) {
        my %where = (
            bearer => ['/id/enforce/backend.cgi', headers => [Authorization => "Bearer $t"]],
            oauth  => ['/id/enforce/backend.cgi', headers => [Authorization => "OAuth $t"]],
            cookie => ['/id/cookie/backend.cgi', headers => [Cookie => "MAUTHSID=$t"]],
            header => ['/id/header/backend.cgi', headers => ['X-MAuth-Session' => $t]],
        );
        for my $src (sort keys %where) {
            my ($path, @args) = @{ $where{$src} };
            resolves_to_nobody(id_request(vhost => $S, path => $path, @args), $src, $t);
        }
        my $body = soap_envelope(session => xml_escape($t));
        my $res = id_request(vhost => $S, path => '/id/soap/backend.cgi', body => $body, @xml,
                             headers => ['SOAPAction' => '""']);
        resolves_to_nobody($res, 'soap', $t);
        is($res->{env}->{BODY_SHA256}, Digest::SHA::sha256_hex($body), "soap '$t': body intact")
            unless unreadable('soap', $t);
    }
};

subtest 'a real session whose token is full of metacharacters resolves to exactly its user' => sub {
    for my $raw (q{tok'OR'1'='1}, q{tok";DROP/**/TABLE/**/mauth_user;--}, q{tok\\'--%_}) {
        my $t = $raw . '-' . uname('t');
        is(new_session($victim, token => $t), $t, "session created with token $t");
        my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                             headers => [Authorization => "Bearer $t"]);
        assert_fault($res, format => 'json');
        $res = id_request(vhost => $M, path => '/id/enforce/backend.cgi', cert => 'alice',
                          headers => [Authorization => "Bearer $t"]);
        assert_passed($res, user => $victim, matched => 'user');
        # a prefix or a LIKE pattern of it is not the token
        $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                          headers => [Authorization => 'Bearer ' . substr($t, 0, 6) . '%']);
        ok(!exists $res->{env}->{MAUTH_USER} && $res->{status} == 200,
           'a LIKE pattern of the token names nobody');
    }
};

subtest 'organisation and user names with metacharacters are stored and resolved literally' => sub {
    my $o = new_org(uname(q{Org'); DROP TABLE mauth_org; --}));
    my $u = new_user($o, uname(q{o'brien"; DROP TABLE mauth_user; --}), grant => 1);
    add_cert(user => $u, leaf => 'bob');
    my $tok = new_session($u);
    my $res = id_request(vhost => $M, path => '/id/enforce/backend.cgi', cert => 'bob',
                         headers => [Authorization => "Bearer $tok"]);
    assert_passed($res, user => $u, org => $o, matched => 'user');
    $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                      headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'json');
    my ($rc, $out) = admin('lookup', '--user', $u);
    is($rc, 0, 'mauth-admin lookup finds the user by its exact name');
};

subtest 'user names with metacharacters through r->user (basic auth) are inert' => sub {
    plan skip_all => 'mod_auth_basic/mod_authn_file/mod_authz_user not available'
        unless basic_auth_available();
    my $o = new_org(uname('org-sqli-basic'));
    my $u = new_user($o, uname(q{it's "me"; --}), grant => 1);
    my @strangers = (q{' OR '1'='1}, q{"; DROP TABLE mauth_user; --}, q{x' OR username LIKE '%});
    write_htpasswd($u => 'pw', map { $_ => 'pw' } @strangers);
    my $basic = sub { 'Basic ' . MIME::Base64::encode_base64("$_[0]:pw", '') };
    for my $s (@strangers) {
        my $res = id_request(vhost => $S, path => '/id/basic/backend.cgi',
                             headers => [Authorization => $basic->($s)]);
        assert_declined($res);
        is($res->{env}->{REMOTE_USER}, $s, "REMOTE_USER is '$s'");
    }
    my $res = id_request(vhost => $S, path => '/id/basic/backend.cgi',
                         headers => [Authorization => $basic->($u)]);
    assert_fault($res, format => 'json');
};

subtest 'the store is intact afterwards: every table there, nothing deleted' => sub {
    my $after = store_counts();
    for my $t (sort keys %$before) {
        cmp_ok($after->{$t}, '>=', $before->{$t}, "$t: $before->{$t} rows before, $after->{$t} after");
    }
    is(sql_value("SELECT COUNT(*) FROM mauth_user WHERE username = '$victim'"), 1,
       'the victim user is still there');
};

subtest 'the victim\'s earlier session still works (nothing was deleted)' => sub {
    my $n = sql_value("SELECT COUNT(*) FROM mauth_session s JOIN mauth_user u ON u.id = s.user_id "
                      . "WHERE u.username = '$victim'");
    cmp_ok($n, '>=', 1, 'the victim\'s sessions are all there');
};

subtest 'mauth-admin lists the users still' => sub {
    my ($rc, $out) = admin('user', 'list');
    is($rc, 0, 'user list exits 0');
    like($out, qr/\Q$victim\E/, 'the victim is listed');
};

subtest 'the module still answers normally after all that' => sub {
    my $tok = new_session($victim);
    my $res = id_request(vhost => $M, path => '/id/enforce/backend.cgi', cert => 'alice',
                         headers => [Authorization => "Bearer $tok"]);
    assert_passed($res, user => $victim, matched => 'user');
};
