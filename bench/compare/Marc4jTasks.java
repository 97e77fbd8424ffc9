// MARC4J's program for the cross-library comparison (bench/compare/run).
//
//   java -cp marc4j.jar:DIR Marc4jTasks TASK FILE [OUT]
//
// Prints one line of counts, in the format every program of the comparison
// prints (t1: records= fields=; t2: records= fields= sum=; t3, t4:
// records=). t0 reads nothing and prints records=0: the run that measures
// the start-up of the JVM. The tasks are defined in docs/benchmarks.md.
//
// Records are read with MarcStreamReader, which decodes a record whose
// leader/09 is 'a' as UTF-8 and any other as ISO 8859-1 (one character per
// byte). t2 measures byte lengths: the UTF-8 length of the decoded strings
// of a UTF-8 record, the character count of the others. t3 writes ISO 2709
// with MarcStreamWriter, encoding each record as it was read ("per_record"),
// t4 MARCXML with MarcXmlWriter, to OUT (default /dev/null).
//
// SPDX-License-Identifier: MIT

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;

import org.marc4j.MarcReader;
import org.marc4j.MarcStreamReader;
import org.marc4j.MarcStreamWriter;
import org.marc4j.MarcWriter;
import org.marc4j.MarcXmlWriter;
import org.marc4j.marc.ControlField;
import org.marc4j.marc.DataField;
import org.marc4j.marc.Record;
import org.marc4j.marc.Subfield;
import org.marc4j.marc.VariableField;

public final class Marc4jTasks {
    private Marc4jTasks() {}

    /** Bytes of s in UTF-8, without encoding it. */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0, len = s.length(); i < len; ++i) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                ++i;
            } else {
                n += 3;
            }
        }
        return n;
    }

    static long byteLength(String s, boolean utf8) {
        return s == null ? 0 : utf8 ? utf8Length(s) : s.length();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !args[0].matches("t[0-4]")) {
            System.err.println("usage: Marc4jTasks t0|t1|t2|t3|t4 FILE [OUT]");
            System.exit(2);
        }
        String task = args[0];
        String outPath = args.length > 2 ? args[2] : "/dev/null";
        if (task.equals("t0")) {
            System.out.println("records=0");
            return;
        }
        long records = 0, fields = 0, sum = 0;
        try (InputStream in = new BufferedInputStream(new FileInputStream(args[1]), 1 << 16)) {
            MarcReader reader = new MarcStreamReader(in);
            if (task.equals("t1")) {
                while (reader.hasNext()) {
                    Record rec = reader.next();
                    ++records;
                    fields += rec.getControlFields().size() + rec.getDataFields().size();
                }
            } else if (task.equals("t2")) {
                while (reader.hasNext()) {
                    Record rec = reader.next();
                    ++records;
                    boolean utf8 = rec.getLeader().getCharCodingScheme() == 'a';
                    VariableField title = rec.getVariableField("245");
                    if (title instanceof DataField) {
                        Subfield a = ((DataField) title).getSubfield('a');
                        if (a != null) sum += byteLength(a.getData(), utf8);
                    }
                    for (ControlField f : rec.getControlFields()) {
                        ++fields;
                        sum += byteLength(f.getData(), utf8);
                    }
                    for (DataField f : rec.getDataFields()) {
                        ++fields;
                        for (Subfield s : f.getSubfields()) sum += byteLength(s.getData(), utf8);
                    }
                }
            } else {
                try (OutputStream out = new BufferedOutputStream(new FileOutputStream(outPath), 1 << 20)) {
                    MarcWriter writer = task.equals("t3")
                            ? new MarcStreamWriter(out, MarcStreamWriter.ENCODING_BY_CHAR_CODE)
                            : new MarcXmlWriter(out, "UTF-8");
                    while (reader.hasNext()) {
                        writer.write(reader.next());
                        ++records;
                    }
                    writer.close();
                }
            }
        }
        if (task.equals("t1")) {
            System.out.println("records=" + records + " fields=" + fields);
        } else if (task.equals("t2")) {
            System.out.println("records=" + records + " fields=" + fields + " sum=" + sum);
        } else {
            System.out.println("records=" + records);
        }
    }
}
