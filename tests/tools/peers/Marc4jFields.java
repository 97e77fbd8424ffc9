// What MARC4J returns for a file, for peer_counts.py, in the same form as
// marc_record_fields.pl: "R" per record, "F <tag hex> <body hex>" per field
// (the field written back as ISO 2709 bytes), "X <message>" per record the
// reader gives up on.
//
// usage: java -cp marc4j.jar:DIR Marc4jFields iso2709|marcxml|json FILE
//
// ISO 2709 through MarcPermissiveStreamReader(in, true, false): permissive,
// and without conversion to UTF-8, so that the text stays in the record's
// own bytes as with the other readers (with conversion, every non-ASCII
// character of a MARC-8 record would differ from the file's bytes). Without
// conversion the reader decodes a record whose leader/09 is 'a' as UTF-8
// (unless its bytes are not UTF-8: then it guesses at another encoding) and
// any other record as ISO-8859-1, byte for byte; the values are encoded
// back the same way. Indicators and subfield codes are single bytes cast
// to char, so they go back as ISO-8859-1.
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import org.marc4j.MarcJsonReader;
import org.marc4j.MarcPermissiveStreamReader;
import org.marc4j.MarcReader;
import org.marc4j.MarcXmlReader;
import org.marc4j.marc.ControlField;
import org.marc4j.marc.DataField;
import org.marc4j.marc.Record;
import org.marc4j.marc.Subfield;
import org.marc4j.marc.VariableField;

public class Marc4jFields {
    static final StringBuilder hex = new StringBuilder();

    static String hexOf(byte[] b) {
        hex.setLength(0);
        for (byte x : b) hex.append(String.format("%02x", x & 0xff));
        return hex.toString();
    }

    static void put(java.io.ByteArrayOutputStream out, String s, Charset cs) {
        byte[] b = s.getBytes(cs);
        out.write(b, 0, b.length);
    }

    public static void main(String[] args) throws Exception {
        String format = args[0];
        PrintStream out = new PrintStream(new FileOutputStreamWrapper(), true, "US-ASCII");
        InputStream in = new FileInputStream(args[1]);
        MarcReader reader;
        boolean iso = format.equals("iso2709");
        if (iso) reader = new MarcPermissiveStreamReader(in, true, false);
        else if (format.equals("marcxml")) reader = new MarcXmlReader(in);
        else reader = new MarcJsonReader(in);
        int errors = 0;
        while (true) {
            Record rec;
            try {
                if (!reader.hasNext()) break;
                rec = reader.next();
            } catch (Exception e) {
                out.println("X " + String.valueOf(e.getMessage()).replaceAll("\\s+", " "));
                if (++errors > 1000 || !iso) break;  // the XML and JSON readers cannot go on after an error
                continue;
            }
            if (rec == null) break;
            Charset text = StandardCharsets.UTF_8;
            if (iso && rec.getLeader().getCharCodingScheme() != 'a') text = StandardCharsets.ISO_8859_1;
            Charset bytes = iso ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8;
            out.println("R");
            for (VariableField vf : rec.getVariableFields()) {
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                if (vf instanceof ControlField) {
                    put(body, ((ControlField) vf).getData(), text);
                } else {
                    DataField df = (DataField) vf;
                    put(body, String.valueOf(df.getIndicator1()), bytes);
                    put(body, String.valueOf(df.getIndicator2()), bytes);
                    for (Subfield sf : df.getSubfields()) {
                        body.write(0x1f);
                        put(body, String.valueOf(sf.getCode()), bytes);
                        put(body, sf.getData(), text);
                    }
                }
                out.println("F " + hexOf(vf.getTag().getBytes(StandardCharsets.UTF_8)) + " " + hexOf(body.toByteArray()));
            }
        }
        out.flush();
    }

    // Standard output, buffered.
    static class FileOutputStreamWrapper extends java.io.BufferedOutputStream {
        FileOutputStreamWrapper() { super(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16); }
    }
}
