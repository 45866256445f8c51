/**
 * A modest gazetteer of given names and surnames common in English- and Spanish-speaking
 * case files, folded (lower case, no accents). A word in it starts a name; words that are
 * also everyday words ("rosa", "paz", "grace", "cruz") are `ambiguous`: they count only
 * beside another name word. A module (not a data file) so Lambda bundles carry it.
 */

const given = `
aaron abigail adam adrian adriana agustin aida alan alba alberto alejandra alejandro alex alexa alexander alfonso alfredo alice alicia alma alondra alvaro amalia amanda amelia amy ana andrea andres andrew angela angelica angie anita anna anthony antonio araceli ariana armando arturo ashley aurora barbara beatriz benjamin bernardo berta betty brandon brenda brian brittany bruno camila carla carlos carmen carolina catalina cecilia cesar charles cindy claudia cristian cristina cynthia daniel daniela david debora deborah delia denise derek diana diego dolores domingo donald dulce edgar eduardo efrain elena eli elias elisa elizabeth elsa elvira emilia emilio emily emma enrique erica erick erika ernesto esmeralda esperanza esteban estela ester esther eugenia eva evelyn fabiola fatima federico felipe fernanda fernando fidel francisca francisco gabriel gabriela george gerardo gilberto gloria gonzalo graciela gregorio guadalupe guillermo gustavo hector heidi helen henry hilda hugo ignacio ines irene iris irma isaac isabel isabela ismael ivan jacqueline jaime james janet jasmine javier jennifer jessica jesus jimena joaquin john johnny jonathan jorge jose josefina joseph joshua juan juana julia julian julio karen karina kevin laura leonardo leticia lidia liliana lorena lourdes lucas lucia luis luisa magdalena manuel marco marcos margarita maria mariana maribel maricela marisol marlene marta martha martin mateo matthew mauricio mayra melissa michael michelle miguel milagros miriam monica nancy natalia nelson nicolas noemi norma octavio olga omar oscar pablo patricia paula pedro perla rafael ramiro ramon raquel raul rebeca reyna ricardo roberto rocio rodolfo rodrigo rogelio rolando ronald rosario ruben ruth samuel sandra santiago sara sarah saul sebastian sergio silvia sofia sonia susana teresa tomas ulises valentina valeria vanessa veronica vicente victor victoria wendy william xiomara yadira yesenia yolanda yuridia zoe
`;

const surnames = `
acosta aguilar aguirre alvarado alvarez arias avila ayala barrera benitez bermudez cabrera calderon camacho carrillo castaneda castro cervantes chavez contreras cordova cortes delgado dominguez espinoza estrada fernandez figueroa fuentes gallegos garcia garza gomez gonzalez guerrero gutierrez guzman hernandez herrera ibarra jimenez juarez lopez lozano maldonado marquez martinez medina mejia melendez mendez mendoza miranda molina montoya morales moreno munoz navarro nunez ochoa orozco ortega ortiz pacheco padilla pena perez ramirez ramos rangel reyes rios rivas rodriguez rojas romero ruiz salazar salinas sanchez sandoval santiago serrano solis soto suarez tapia torres trejo trujillo valdez valencia vargas vasquez vazquez velasquez velazquez villanueva zamora zuniga
anderson baker clark davis evans garrison harris jackson johnson martin miller mitchell nguyen parker robinson rodgers smith taylor thompson walker williams wilson wright
achebe brennan castillo ferreira haddad lindqvist novak okafor quintero saldana vela
`;

/** Everyday words too: a name only next to another name word. */
const ambiguousWords = `
rosa paz luz sol cruz flores campos santos vega leon rico bravo franco blanca pilar mercedes angel amparo consuelo rosario soledad grace hope joy faith rose will mark bill may june april august dawn summer lane long young white brown green black king hill wood rivera sierra prado cuevas palma castillo marsh
`;

const words = (s: string) => s.split(/\s+/).filter(Boolean);

export const ambiguous = new Set(words(ambiguousWords));
export const givenNames = new Set(words(given));
export const familyNames = new Set(words(surnames));

/** How the gazetteer knows a folded word: a name, one only beside another name word, or not at all. */
export function gazetteerKind(folded: string): "name" | "ambiguous" | undefined {
  if (ambiguous.has(folded)) return "ambiguous";
  return givenNames.has(folded) || familyNames.has(folded) ? "name" : undefined;
}
