/**
 * Words around names, folded (lower case, no accents). Cues introduce a person ("Ofc.",
 * "the suspect,", "my son", "mi hermana", "she married"); stop words are capitalised words
 * that are never part of a name here (sentence openers, agencies, forms, titles).
 */

const alt = (s: string) =>
  s
    .trim()
    .split(/\s*\|\s*/)
    .filter(Boolean)
    .map((w) => w.replace(/\./g, "\\.").replace(/ /g, "\\s+"))
    .join("|");

const titles = alt(
  `mr. | mrs. | ms. | miss | dr. | dra. | ofc. | officer | det. | detective | sgt. | sergeant | lt. | lieutenant | cpl. | corporal | deputy | trooper | agent | special agent | judge | hon. | honorable | attorney | advocate | counselor | investigator | inspector | capt. | captain | sr. | sra. | srta. | senor | senora | senorita | don | dona | lic. | licenciado | licenciada | abogado | abogada | oficial | agente | juez | jueza | sargento | doctor | doctora | prof. | profesor | profesora`,
);

const roles = alt(
  `client | declarant | petitioner | applicant | beneficiary | respondent | defendant | suspect | victim | witness | complainant | reporting party | abuser | perpetrator | offender | interpreter | arrestee | cliente | declarante | sospechoso | sospechosa | victima | testigo | agresor | agresora | acusado | acusada | denunciante | solicitante | peticionario | peticionaria | detenido | detenida | imputado | imputada`,
);

const kin = alt(
  `son | daughter | child | children | kids | husband | wife | spouse | ex-husband | ex-wife | ex husband | ex wife | partner | boyfriend | girlfriend | ex-boyfriend | ex-girlfriend | sister | brother | mother | father | mom | dad | stepfather | stepmother | stepson | stepdaughter | cousin | aunt | uncle | niece | nephew | grandmother | grandfather | grandson | granddaughter | mother-in-law | father-in-law | sister-in-law | brother-in-law | friend | neighbor | neighbour | employer | boss | landlord | roommate | hijo | hija | hijos | hijas | esposo | esposa | marido | mujer | pareja | novio | novia | exesposo | exesposa | ex esposo | ex esposa | expareja | hermano | hermana | hermanos | madre | padre | mama | papa | mami | papi | padrastro | madrastra | hijastro | hijastra | primo | prima | tio | tia | sobrino | sobrina | abuelo | abuela | nieto | nieta | suegro | suegra | cunado | cunada | amigo | amiga | vecino | vecina | jefe | jefa | patron | patrona | companero | companera`,
);

const possessive = alt(
  `my | her | his | their | our | your | the client's | the declarant's | the victim's | mi | mis | su | sus | nuestro | nuestra | nuestros | tu | el | la | los | las`,
);

const verbs = alt(
  `married | marry | named | called | met | dating | se llama | se llamaba | llamado | llamada | de nombre | me case con | se caso con | case con | caso con | conoci a | conocio a | signed, | firmado, | firmada, | atentamente,`,
);

/**
 * A cue in folded text; the name starts where the match ends. A role or a relative may be
 * followed by a comma, "named"/"llamado", or a colon ("Client: X", "their son, X").
 */
export const cuePattern = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:(?:${titles})|(?:(?:the|a|an|el|la)\\s+)?(?:${roles})|(?:${possessive})\\s+(?:${kin})|(?:${verbs}))` +
    `(?:\\s*[,:])?(?:\\s+(?:named|called|llamad[oa]|de\\s+nombre)(?:\\s*,)?)?\\s+(?=\\p{L})`,
  "gu",
);

/**
 * The cues after which the next word is a name whatever it spells ("her cousin santos",
 * "su prima chicas", "a man named tyler", "un hombre llamado portillo"): a relative, or a
 * naming verb. Titles and roles are not among them: "attorney notes", "victim advocate".
 * In folded text; the name starts where the match ends (a placeholder may stand there).
 */
export const relativeCuePattern = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:(?:${possessive})\\s+(?:${kin})|(?:${verbs}))` +
    `(?:\\s*[,:])?(?:\\s+(?:named|called|llamad[oa]|de\\s+nombre)(?:\\s*,)?)?\\s+(?=[\\p{L}[])`,
  "gu",
);

/** Words after which a capitalised run is a place, not a person ("Harris County"). */
export const placeAfter = new Set([
  "county",
  "city",
  "street",
  "avenue",
  "road",
  "park",
  "hospital",
  "school",
  "police",
  "court",
  "department",
  "university",
  "college",
  "condado",
  "ciudad",
  "hospital",
  "escuela",
  "parque",
]);

/** Capitalised words that never belong to a name here, folded. */
export const stopWords = new Set(
  `
the a an this that these those he she it they we i you his her their our my your its him them me us who whom whose which what when where why how
and or but nor so yet if then than because since after before while until though although once also only even just still again
at by for from in into of on onto to with without within under over about above below between through during against among upon per via
is was were are be been being am has have had do does did will would shall should can could may might must not no yes
later then now today yesterday tomorrow soon afterwards meanwhile finally first second third next last another other every each all both some any many
mr mrs ms miss dr dra ofc officer det detective sgt sergeant lt lieutenant cpl corporal deputy trooper agent special judge hon honorable attorney advocate counselor investigator inspector capt captain
sr sra srta senor senora senorita don dona lic licenciado licenciada abogado abogada oficial agente juez jueza sargento doctor doctora prof profesor profesora
client declarant petitioner applicant beneficiary respondent defendant suspect victim witness complainant abuser perpetrator offender interpreter arrestee reporting party
senior junior chief staff case manager supervisor director
police department county court shelter center centre services service office unit division sheriff state city district circuit superior municipal family criminal civil clinic hospital school church
homeland security investigations immigration customs enforcement citizenship naturalization border protection administrative appeals board bureau federal national united states america american republic
uscis dhs ice hsi cbp eoir bia fbi ina cfr usc vawa tvpa tvpra ead ssa irs dmv dv
form forms supplement section part item exhibit page pages appendix annex attachment declaration affidavit statement report notice order motion petition application letter record records
act law code title chapter violence against women trafficking victims protection reauthorization
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
street st avenue ave road rd lane ln drive dr boulevard blvd court ct way place pl terrace circle highway hwy parkway pkwy apt apartment suite unit
calle avenida av avda calzada camino carretera privada callejon andador cerrada paseo colonia col barrio fraccionamiento fracc zona interior int depto
el la los las lo un una unos unas mi mis tu tus su sus nuestro nuestra nuestros nuestras yo ella ellos ellas nosotros usted ustedes este esta estos estas ese esa eso aquel aquella
y o pero porque cuando donde como que quien quienes cual si no ni tambien despues luego entonces antes mientras aunque pues hoy ayer manana siempre nunca ya
en con por para desde hasta sin sobre entre hacia contra durante segun bajo tras de del al
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre lunes martes miercoles jueves viernes sabado domingo
policia departamento condado corte tribunal juzgado oficina centro refugio servicios estado ciudad distrito fiscalia ministerio publico
formulario seccion parte pagina anexo declaracion informe reporte denuncia expediente caso numero
dear sincerely regards signed signature date phone tel email address fax re subject
god lord christ
docket plaintiff vs re badge shield placa dob tel vehicle plate dl ofc hrs narrative incident
ley proteccion victimas trata suplemento hearing violencia contra mujer mujeres corte inmigracion orden relief asilo visa personas derechos humanos
dijo declaro estaba fue era tenia llamo amenazo golpeo vive vivia indico manifesto refirio senalo salio llego dice
general nacional federal estatal publica publico seguridad ciudadana ciudadano procuraduria subprocuraduria secretaria direccion instituto migracion comision defensoria pueblo republica gobierno gobernacion consulado embajada
juzgado juzgados primero segundo tercero cuarto quinto primera segunda tercera familiar penal civil justicia suprema superior sala judicial poder ministerial ministeriales especializada especializado delitos sexuales
ayuntamiento alcaldia municipio presidencia instancia atencion ejecutiva comisaria estacion guardia ejercito marina armada defensa investigacion investigaciones agencia unidad coordinacion sistema desarrollo integral familia dif
pgr fgr fge pgj inm cndh ssp sspc pnc mp ceav
public safety justice prosecutor prosecutors prosecuting attorneys solicitor commonwealth marshal marshals patrol human health protective youth children
`
    .split(/\s+/)
    .filter(Boolean),
);
