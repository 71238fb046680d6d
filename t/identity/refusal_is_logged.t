# An operator sees every refusal at the default LogLevel (warn): one line
# with the reason, the user, the method and URI, the client and the
# certificate; and CustomLog can record each decision through
# MAUTH_DECISION and MAUTH_REASON.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(4);

my ($S, $M) = ('identity_standard', 'identity_mutual');
my ($enforced) = enforced_user('logged', certs => ['alice']);
my $tok = new_session($enforced);
my $decisions = Apache::Test::config()->{vars}->{t_logs} . '/mauth-decisions.log';

sub decision_line {
    my $id = shift;
    open my $fh, '<', $decisions or return '';
    my ($line) = grep { /\Q$id\E$/ } <$fh>;
    return $line // '';
}

subtest 'an enforced user on the standard vhost: a warn line naming reason, user and URI' => sub {
    my $mark = error_log_mark();
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi?q=1',
                         headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'json');
    my @lines = grep { /MAUTH00050/ } split /\n/, error_log_since($mark);
    is(scalar @lines, 1, 'one refusal line') or diag(join "\n", @lines);
    like($lines[0] // '', qr/\[mauth:warn\]/, 'at warn, shown by the default LogLevel');
    like($lines[0] // '', qr{refused \(mutual-authentication-failed\) GET /id/enforce/backend\.cgi\?q=1 from 127\.0\.0\.1 as user \Q$enforced\E},
         'reason token, method, URI, client and user');
    like($lines[0] // '', qr/no client certificate/, 'and that no certificate came');
};

subtest 'an unregistered certificate on the mutual vhost: the certificate is named' => sub {
    my $mark = error_log_mark();
    my $res = id_request(vhost => $M, path => '/id/enforce/backend.cgi', cert => 'bob',
                         headers => [Authorization => "Bearer $tok"]);
    assert_page($res, reason => 'Client certificate is not registered for this user.');
    my ($line) = grep { /MAUTH00050/ } split /\n/, error_log_since($mark);
    my $sha = cert_sha256('bob');
    like($line // '', qr/refused \(not-registered\) GET \S+ from \S+ as user \Q$enforced\E/,
         'reason token and user');
    like($line // '', qr/subject '[^']*bob[^']*'.*serial [0-9A-F]+, SHA-256 \Q$sha\E/,
         'subject, serial and SHA-256 of the certificate');
};

subtest 'CustomLog records a refusal: MAUTH_DECISION refused, MAUTH_REASON its token' => sub {
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                         headers => [Authorization => "Bearer $tok"]);
    is($res->{status}, 401, 'refused');
    like(decision_line($res->{id}), qr/^127\.0\.0\.1 refused mutual-authentication-failed \Q$enforced\E 401 /,
         'decision, reason, user and status in the access log');
};

subtest 'CustomLog records a pass: MAUTH_DECISION pass, no reason' => sub {
    my $res = id_request(vhost => $M, path => '/id/enforce/backend.cgi', cert => 'alice',
                         headers => [Authorization => "Bearer $tok"]);
    assert_passed($res, user => $enforced);
    like(decision_line($res->{id}), qr/^127\.0\.0\.1 pass - \Q$enforced\E 200 /,
         'decision and user in the access log');
};
