#!/usr/bin/perl
# MARC::Record's program for the cross-library comparison (bench/compare/run).
#
#   perl marc_record_tasks.pl TASK FILE [OUT]
#
# Prints one line of counts, in the format every program of the comparison
# prints (t1: records= fields=; t2: records= fields= sum=; t3, t4:
# records=). The tasks are defined in docs/benchmarks.md.
#
# Records are read with MARC::File::USMARC, which decodes the fields of a
# record whose leader/09 is 'a' from UTF-8 and keeps the others as bytes. t2
# measures byte lengths (bytes::length: the UTF-8 length of a decoded
# string). t3 writes ISO 2709 with as_usmarc, t4 MARCXML with
# MARC::File::XML (which converts MARC-8 records to UTF-8 with MARC::Charset
# on the way), to OUT (default /dev/null).
#
# SPDX-License-Identifier: MIT
use strict;
use warnings;
no warnings 'utf8';
use bytes ();
use MARC::Record;
use MARC::File::USMARC;

my ($task, $file, $out_path) = @ARGV;
die "usage: marc_record_tasks.pl t1|t2|t3|t4 FILE [OUT]\n" unless defined $file && $task =~ /^t[1-4]$/;
$out_path //= '/dev/null';

my $in = MARC::File::USMARC->in($file) or die "marc_record_tasks.pl: $file: $MARC::File::ERROR\n";
my ($records, $fields, $sum, $warned) = (0, 0, 0, 0);

if ($task eq 't1') {
    while (my $rec = $in->next()) {
        ++$records;
        $fields += scalar $rec->fields();
        ++$warned if $rec->warnings();
    }
} elsif ($task eq 't2') {
    while (my $rec = $in->next()) {
        ++$records;
        ++$warned if $rec->warnings();
        my $title = $rec->field('245');
        if ($title) {
            my $a = $title->subfield('a');
            $sum += bytes::length($a) if defined $a;
        }
        for my $f ($rec->fields()) {
            ++$fields;
            if ($f->is_control_field()) {
                $sum += bytes::length($f->data());
            } else {
                $sum += bytes::length($_->[1]) for $f->subfields();
            }
        }
    }
} elsif ($task eq 't3') {
    open(my $out, '>:raw', $out_path) or die "marc_record_tasks.pl: $out_path: $!\n";
    while (my $rec = $in->next()) {
        # as_usmarc returns characters for a record read as UTF-8 (its
        # directory counts their UTF-8 bytes) and bytes for the others.
        my $raw = $rec->as_usmarc();
        utf8::encode($raw) if utf8::is_utf8($raw);
        print $out $raw;
        ++$records;
    }
    close($out) or die "marc_record_tasks.pl: $out_path: $!\n";
} else {
    require MARC::File::XML;
    MARC::File::XML->import(RecordFormat => 'USMARC', DefaultEncoding => 'UTF-8');
    my $out = MARC::File::XML->out($out_path, 'UTF-8') or die "marc_record_tasks.pl: $out_path: cannot open\n";
    while (my $rec = $in->next()) {
        $out->write($rec);
        ++$records;
    }
    $out->close();
}
$in->close();

print STDERR "marc_record_tasks.pl: $warned record(s) with warnings\n" if $warned;
if ($task eq 't1') {
    print "records=$records fields=$fields\n";
} elsif ($task eq 't2') {
    print "records=$records fields=$fields sum=$sum\n";
} else {
    print "records=$records\n";
}
exit($warned ? 1 : 0);
