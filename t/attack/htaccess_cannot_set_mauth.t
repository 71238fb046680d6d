# A directory's .htaccess (AllowOverride AuthConfig) cannot change what
# mod_mauth enforces: its directives belong to the server's configuration
# files, where the store a vhost needs is known at start-up.  Were
# "MAuthEnforce" taken from .htaccess, a vhost would enforce with no store
# set up for it (no prepared queries, answers cached under no store's
# name), and a directory's owner could write "MAuthEnforce off" or
# "MAuthRequireCertificate off" under the operator's enforced location.
# httpd refuses such a .htaccess (500, the directive named in the log); the
# application never runs.  t/conf/review2.conf.in: review2_a, review2_b.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(2);
my $path = '/rv2/ht/app.cgi';
my $u = attack_users('rv2ht');

for my $vhost ('review2_a', 'review2_b') {
    subtest "$vhost: a .htaccess with MAuthEnforce is refused, the application never runs" => sub {
        my $mark = error_log_mark();
        my $res = ac_request(vhost => $vhost, path => $path,
                             headers => [Authorization => "Bearer $u->{etok}"]);
        is($res->{status}, 500, 'HTTP status 500');
        ok(!MAuth::Store::id_ran($res->{id}), 'back end did not run');
        like(error_log_since($mark), qr/MAuthEnforce not allowed here/,
             'the error log names the directive');
    };
}
