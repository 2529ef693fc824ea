// OwlApiCheck: does the ontology open the way Protégé opens it, and is it OWL 2 DL?
//
// Loads ONTOLOGY_FILE with the OWL API (the library Protégé is built on), offline: every owl:imports is
// resolved only through the catalog-v001.xml beside the file, and a missing import is an error (Protégé
// would show an empty import). Then, for every ontology of the imports closure, the RDF triples the
// parser could not turn into OWL (unparsed) and the entities whose kind it had to guess (undeclared), and
// the OWL 2 DL profile check over the closure.
//
// Usage:   java -cp <classes>:<owlapi jars> OwlApiCheck ONTOLOGY_FILE
// Output:  tab-separated lines: key, then values (closure, axioms, unparsed, guessed, violation, seconds, result)
// Exit:    0 loaded, nothing unparsed or guessed, in OWL 2 DL; 1 problems found; 2 could not load.
// Needs:   Debian's libowlapi-java (OWL API 5.1) and its dependencies in /usr/share/java; compiled by the tests.

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyDocumentSource;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.OWLRuntimeException;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.util.SimpleIRIMapper;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public final class OwlApiCheck {
    private static final String CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog";

    private OwlApiCheck() {
    }

    /** The name -> file entries of the OASIS catalog beside the ontology (what Protégé reads). */
    static Map<String, File> readCatalog(File catalog) throws Exception {
        Map<String, File> entries = new TreeMap<>();
        if (!catalog.isFile()) {
            return entries;
        }
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList uris = factory.newDocumentBuilder().parse(catalog).getElementsByTagNameNS(CATALOG_NS, "uri");
        for (int i = 0; i < uris.getLength(); i++) {
            Element uri = (Element) uris.item(i);
            entries.put(uri.getAttribute("name"), new File(catalog.getParentFile(), uri.getAttribute("uri")));
        }
        return entries;
    }

    static void line(Object... values) {
        StringBuilder text = new StringBuilder();
        for (Object value : values) {
            if (text.length() > 0) {
                text.append('\t');
            }
            text.append(String.valueOf(value).replace('\t', ' ').replace('\n', ' '));
        }
        System.out.println(text);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: OwlApiCheck ONTOLOGY_FILE");
            System.exit(2);
        }
        File file = new File(args[0]).getAbsoluteFile();
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        manager.getOntologyConfigurator()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.THROW_EXCEPTION);
        manager.getIRIMappers().clear(); // no guessing from folders or the web: the catalog only
        Map<String, File> catalog = readCatalog(new File(file.getParentFile(), "catalog-v001.xml"));
        for (Map.Entry<String, File> entry : catalog.entrySet()) {
            manager.getIRIMappers().add(new SimpleIRIMapper(IRI.create(entry.getKey()),
                IRI.create(entry.getValue().getCanonicalFile().toURI())));
        }
        line("catalog", catalog.size());
        long started = System.nanoTime();
        OWLOntology ontology;
        try {
            OWLOntologyDocumentSource source = file.getName().endsWith(".ttl")
                ? new FileDocumentSource(file, new TurtleDocumentFormat()) : new FileDocumentSource(file);
            ontology = manager.loadOntologyFromOntologyDocument(source);
        } catch (OWLOntologyCreationException | OWLRuntimeException e) {
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            line("error", e.getClass().getSimpleName(), message);
            line("result", "LOAD-FAILED");
            System.exit(2);
            return;
        }
        line("seconds", "load", String.format("%.3f", (System.nanoTime() - started) / 1e9));
        Set<OWLOntology> closure = ontology.getImportsClosure();
        line("closure", closure.size());
        line("axioms", ontology.getAxiomCount(Imports.INCLUDED));
        line("classes", ontology.getClassesInSignature(Imports.INCLUDED).size());
        line("object-properties", ontology.getObjectPropertiesInSignature(Imports.INCLUDED).size());
        line("data-properties", ontology.getDataPropertiesInSignature(Imports.INCLUDED).size());
        int problems = 0;
        for (OWLOntology member : closure) {
            String id = member.getOntologyID().getOntologyIRI().map(IRI::toString).orElse("(anonymous)");
            OWLDocumentFormat format = manager.getOntologyFormat(member);
            if (format == null || !format.getOntologyLoaderMetaData().isPresent()) {
                continue;
            }
            RDFParserMetaData meta = (RDFParserMetaData) format.getOntologyLoaderMetaData().get();
            List<String> unparsed = new ArrayList<>();
            meta.getUnparsedTriples().forEach(t -> unparsed.add(t.toString()));
            line("unparsed", id, unparsed.size());
            for (String triple : unparsed) {
                line("unparsed-triple", id, triple);
            }
            line("guessed", id, meta.getGuessedDeclarations().size());
            for (Map.Entry<IRI, Class<?>> guess : meta.getGuessedDeclarations().entries()) {
                line("guessed-declaration", id, guess.getKey(), guess.getValue().getSimpleName());
            }
            problems += unparsed.size() + meta.getGuessedDeclarations().size();
        }
        started = System.nanoTime();
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        line("seconds", "profile", String.format("%.3f", (System.nanoTime() - started) / 1e9));
        line("violations", report.getViolations().size());
        for (OWLProfileViolation violation : report.getViolations()) {
            line("violation", violation.getClass().getSimpleName(), violation);
        }
        problems += report.getViolations().size();
        line("result", problems == 0 ? "OK" : "PROBLEMS");
        System.exit(problems == 0 ? 0 : 1);
    }
}
