package io.quarkiverse.level2pc;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a class depends on, read two ways so that neither a fully qualified name nor a missed import slips
 * through: from its source (imports, and qualified names in code) and from its compiled form (every class
 * its constant pool and signatures reference).
 */
final class Dependencies {

    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+(?:\\.\\*)?)\\s*;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\b((?:[a-z][a-z0-9_]*\\.)+[A-Za-z_$][\\w$]*)");
    private static final Pattern DESCRIPTOR_CLASS = Pattern.compile("L([\\w$/]+)[;<]");

    private Dependencies() {
    }

    /** The names a source imports (static imports included). */
    static List<String> imports(String source) {
        List<String> out = new ArrayList<>();
        Matcher m = IMPORT.matcher(source);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** Qualified names written in code (comments, strings, package and import lines left out). */
    static List<String> qualifiedNames(String source) {
        List<String> out = new ArrayList<>();
        Matcher m = QUALIFIED.matcher(stripCommentsAndStrings(source).replaceAll("(?m)^\\s*(package|import)\\s[^;]*;", ""));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String stripCommentsAndStrings(String s) {
        return s.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", " ")
                .replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"")
                .replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("'(?:\\\\.|[^'\\\\])'", "' '");
    }

    /** Every class a compiled class refers to through its constant pool (in dotted form). */
    static Set<String> referencedClasses(InputStream classFile) throws IOException {
        DataInputStream in = new DataInputStream(classFile);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        List<Integer> classNameIndexes = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7 -> classNameIndexes.add(in.readUnsignedShort());
                case 8, 16, 19, 20 -> in.readUnsignedShort();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++; // 8-byte constants take two slots
                }
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        Set<String> classes = new TreeSet<>();
        for (int idx : classNameIndexes) {
            String name = utf8[idx];
            if (name.startsWith("[")) {
                Matcher arrayOf = DESCRIPTOR_CLASS.matcher(name);
                while (arrayOf.find()) {
                    classes.add(arrayOf.group(1).replace('/', '.'));
                }
            } else {
                classes.add(name.replace('/', '.'));
            }
        }
        // Descriptors and generic signatures of fields, methods, lambdas.
        for (String s : utf8) {
            if (s != null && (s.startsWith("(") || s.startsWith("L") || s.startsWith("<") || s.startsWith("["))) {
                Matcher m = DESCRIPTOR_CLASS.matcher(s);
                while (m.find()) {
                    classes.add(m.group(1).replace('/', '.'));
                }
            }
        }
        return classes;
    }
}
