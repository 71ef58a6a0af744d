package dev.tiergate.local.launch;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;

/**
 * A build step for {@code bin/tiergate up}'s class path: every jar on it that holds class files older than Java 6
 * (picocli and sqlite4java target Java 5) is copied under a folder with those classes rewritten as Java 8 class files,
 * stack maps computed by ASM, and the class path file is rewritten to name the copies.
 *
 * <p>Why: the JDK's AOT cache cannot store a class older than Java 6 once it has been linked (the old verifier leaves no
 * constraints to check at the next start), nor any class that extends one. So every start parsed and verified ~200 of
 * them from their jars on the way to the first answer: picocli's ~170 alone cost ~70 ms of `up`'s single-threaded
 * start (issue 8). The bytecode itself is unchanged; only the version and the stack maps the newer verifier needs are new.
 *
 * <p>Usage: {@code ClassVersionUpgrade <class path file> <output folder>}.
 */
public final class ClassVersionUpgrade {

    /** Java 6's class file version: the first whose classes the AOT cache can store after linking. */
    static final int FIRST_CACHEABLE = Opcodes.V1_6;

    private static final Pattern SIGNATURE_FILE = Pattern.compile("META-INF/[^/]+\\.(SF|RSA|DSA|EC)");

    private ClassVersionUpgrade() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ClassVersionUpgrade <class path file> <output folder>");
            System.exit(2);
        }
        Path classpathFile = Path.of(args[0]);
        List<Path> rewritten = rewriteClasspath(classpathFile, Path.of(args[1]));
        for (Path p : rewritten) System.out.println("tiergate: Java 5 class files upgraded for the AOT cache: " + p.getFileName());
    }

    /**
     * Upgrades each jar of the class path file that needs it into {@code outDir} and rewrites the file to name the copies.
     *
     * @return the copies written
     */
    public static List<Path> rewriteClasspath(Path classpathFile, Path outDir) throws IOException {
        String separator = System.getProperty("path.separator");
        String[] entries = Files.readString(classpathFile).strip().split(Pattern.quote(separator));
        List<Path> jars = new ArrayList<>();
        for (String e : entries) jars.add(Path.of(e));
        List<Path> written = new ArrayList<>();
        List<String> out = new ArrayList<>();
        Files.createDirectories(outDir);
        try (TypeHierarchy hierarchy = new TypeHierarchy(jars)) {
            Set<String> names = new HashSet<>();
            for (Path jar : jars) {
                if (jar.getFileName().toString().endsWith(".jar") && Files.isRegularFile(jar) && hasOldClasses(jar)) {
                    Path copy = outDir.resolve(jar.getFileName().toString());
                    if (!names.add(copy.getFileName().toString())) {
                        throw new IllegalStateException("two jars named " + copy.getFileName() + " on the class path");
                    }
                    // A copy newer than its jar is this build's already (a rebuild of this module alone keeps it).
                    if (!Files.exists(copy) || Files.getLastModifiedTime(copy).compareTo(Files.getLastModifiedTime(jar)) < 0) {
                        try {
                            upgrade(jar, copy, hierarchy);
                        } catch (RuntimeException | IOException e) {
                            throw new IOException("upgrading " + jar + ": " + e.getMessage(), e);
                        }
                        written.add(copy);
                    }
                    out.add(copy.toAbsolutePath().toString());
                } else {
                    out.add(jar.toString());
                }
            }
        }
        Files.writeString(classpathFile, String.join(separator, out));
        return written;
    }

    /** Whether any class file outside {@code META-INF} is older than Java 6. */
    static boolean hasOldClasses(Path jar) throws IOException {
        try (JarFile in = new JarFile(jar.toFile(), false)) {
            for (JarEntry e : java.util.Collections.list(in.entries())) {
                if (isClass(e) && majorVersion(in, e) < FIRST_CACHEABLE) return true;
            }
        }
        return false;
    }

    /** Copies {@code jar} to {@code copy}, every class older than Java 6 rewritten as Java 8; signatures are dropped. */
    static void upgrade(Path jar, Path copy, TypeHierarchy hierarchy) throws IOException {
        Path tmp = copy.resolveSibling(copy.getFileName() + ".tmp");
        try (JarFile in = new JarFile(jar.toFile(), false);
             OutputStream file = Files.newOutputStream(tmp);
             JarOutputStream out = new JarOutputStream(file)) {
            for (JarEntry e : java.util.Collections.list(in.entries())) {
                // A signed jar's signatures would no longer match the rewritten classes.
                if (SIGNATURE_FILE.matcher(e.getName().toUpperCase(Locale.ROOT)).matches()) continue;
                byte[] bytes;
                try (InputStream s = in.getInputStream(e)) {
                    bytes = s.readAllBytes();
                }
                if (isClass(e) && version(bytes) < FIRST_CACHEABLE) {
                    try {
                        bytes = upgrade(bytes, hierarchy);
                    } catch (MissingType m) {
                        // Code that uses an optional dependency this class path lacks: its stack maps cannot be
                        // computed, so the class stays as it was, verified at each start as before.
                    }
                }
                JarEntry copied = new JarEntry(e.getName());
                copied.setTime(e.getTime());
                out.putNextEntry(copied);
                out.write(bytes);
                out.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** One class file as Java 8: the same members and code, new stack maps, max stack and locals. */
    static byte[] upgrade(byte[] classFile, TypeHierarchy hierarchy) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return hierarchy.commonSuperClass(a, b);
            }
        };
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }

    private static boolean isClass(JarEntry e) {
        // Multi-release variants are newer by definition; module-info has no code.
        return e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/") && !e.getName().endsWith("module-info.class");
    }

    private static int majorVersion(JarFile jar, JarEntry e) throws IOException {
        try (InputStream s = jar.getInputStream(e)) {
            return version(s.readNBytes(8));
        }
    }

    private static int version(byte[] head) {
        if (head.length < 8 || (head[0] & 0xff) != 0xCA || (head[1] & 0xff) != 0xFE) return Integer.MAX_VALUE;
        return ((head[6] & 0xff) << 8) | (head[7] & 0xff);
    }

    /** A type the stack maps need is on no class path: an optional dependency left out. */
    static final class MissingType extends RuntimeException {
        MissingType(String type) {
            super("class " + type.replace('/', '.') + " is not on the class path", null, false, false);
        }
    }

    /**
     * Superclasses read from the class files of the class path and the JDK, without loading any class: ASM needs the
     * common superclass of two types where a stack map merges them.
     */
    static final class TypeHierarchy implements AutoCloseable {
        private final URLClassLoader files;
        private final java.util.Map<String, ClassReader> read = new java.util.HashMap<>();

        TypeHierarchy(List<Path> classpath) {
            URL[] urls = classpath.stream().map(p -> {
                try {
                    return p.toUri().toURL();
                } catch (java.net.MalformedURLException e) {
                    throw new IllegalArgumentException(e);
                }
            }).toArray(URL[]::new);
            this.files = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        }

        String commonSuperClass(String a, String b) {
            if (isInterface(a) || isInterface(b)) return "java/lang/Object";
            Set<String> ancestors = new HashSet<>();
            for (String t = a; t != null; t = superName(t)) ancestors.add(t);
            for (String t = b; t != null; t = superName(t)) {
                if (ancestors.contains(t)) return t;
            }
            return "java/lang/Object";
        }

        private boolean isInterface(String type) {
            return (reader(type).getAccess() & Opcodes.ACC_INTERFACE) != 0;
        }

        private String superName(String type) {
            return reader(type).getSuperName();
        }

        private ClassReader reader(String type) {
            return read.computeIfAbsent(type, t -> {
                try (InputStream s = files.getResourceAsStream(t + ".class")) {
                    if (s == null) throw new MissingType(t);
                    return new ClassReader(s);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        @Override
        public void close() throws IOException {
            files.close();
        }
    }
}
