#!/usr/bin/perl
# What MARC::Record returns for a file, for peer_counts.py: one line "R" per
# record, then one line "F <tag hex> <body hex>" per field, where the body is
# the field written back as ISO 2709 bytes (a control field's data; or the
# two indicators, then 0x1F, code and value for each subfield), in UTF-8
# where MARC::Record decoded the text, as its bytes otherwise. A record the
# reader gives up on (it dies) is an "X <message>" line.
#
# usage: marc_record_fields.pl iso2709|marcxml|json FILE
#
# ISO 2709 through MARC::Batch with strict_off and warnings_off, as users
# read files they expect to be damaged, each next() in an eval: decode dies
# on a UTF-8 record holding other bytes, and the file has moved past that
# record by then, so the next call reads on.
use strict;
use warnings;
use Encode ();
use MARC::Batch;

my ($format, $file) = @ARGV;
my %class = (iso2709 => 'USMARC', marcxml => 'XML', json => 'MiJ');
die "usage: $0 iso2709|marcxml|json FILE\n" unless $format && $class{$format} && defined $file;
if ($format eq 'marcxml') { require MARC::File::XML; MARC::File::XML->import(BinaryEncoding => 'utf8'); }
if ($format eq 'json') { require MARC::File::MiJ; }

binmode STDOUT;
sub bytes_of { my $s = shift // ''; return utf8::is_utf8($s) ? Encode::encode('UTF-8', $s) : $s; }
sub hex_of { return unpack('H*', bytes_of(shift)); }

my $batch = eval { MARC::Batch->new($class{$format}, $file) };
if (!$batch) { my $e = $@; $e =~ s/\s+/ /g; print "X $e\n"; exit 0; }
$batch->strict_off;
$batch->warnings_off;
my $errors = 0;
while (1) {
    my $rec = eval { $batch->next };
    if ($@) {
        my $e = $@; $e =~ s/\s+/ /g;
        print "X $e\n";
        last if ++$errors > 1000;  # a reader that cannot move on
        next;
    }
    last unless $rec;
    print "R\n";
    for my $f ($rec->fields) {
        my $body;
        if ($f->is_control_field) {
            $body = bytes_of($f->data);
        } else {
            $body = bytes_of($f->indicator(1)) . bytes_of($f->indicator(2));
            $body .= "\x1f" . bytes_of($_->[0]) . bytes_of($_->[1]) for $f->subfields;
        }
        print "F ", hex_of($f->tag), " ", unpack('H*', $body), "\n";
    }
}
