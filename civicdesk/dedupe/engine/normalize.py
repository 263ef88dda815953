"""Text normalization for comparison: names, addresses, emails, phones; Soundex; nicknames.

Everything here works on one value and is called once per distinct value (the columns of
`table.py` factorize first), so plain Python is fast enough.
"""

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "NICKNAMES",
    "address_key",
    "clean_address",
    "clean_email",
    "clean_name",
    "clean_postcode",
    "clean_text",
    "digits",
    "house_number",
    "nickname_groups",
    "soundex",
]

# Given name -> its common English nicknames and short forms, both ways: "bill" and "william"
# are the same person's first name. A nickname may belong to several names ("chris").
_NICKNAME_TABLE = """
aaron: ron ronnie | abigail: abby abbie gail | abraham: abe bram | adam: ad
adeline: addie | adrian: adie | agnes: aggie nessa | albert: al bert bertie
alexander: alex al alec sandy lex xander | alexandra: alex alexa sandra sandy lexi
alfred: al alf alfie fred | alice: ally allie | allison: ali allie | amanda: mandy manda
andrew: andy drew | angela: angie | ann: annie nan nancy | anna: annie | anthony: tony ant
antonio: tony | archibald: archie | arnold: arnie | arthur: art artie | augustus: gus august
barbara: barb barbie babs | benjamin: ben benny benji | bernard: bernie | beverly: bev
bradley: brad | brian: bri | calvin: cal | cameron: cam | caroline: carrie carol caro
catherine: cathy cath kate katie kat kitty kay | cecilia: celia cissy | charles: charlie chuck chas chaz chip
charlotte: charlie lottie | christian: chris | christina: chris tina christy kristy
christine: chris chrissy tina | christopher: chris kit topher | clifford: cliff
constance: connie | cornelius: neil connie | cynthia: cindy | daniel: dan danny
danielle: dani | david: dave davey davy | deborah: deb debbie debby | debra: deb debbie
dennis: denny | dolores: lola dee | dominic: dom | donald: don donny | dorothy: dot dottie dolly
douglas: doug | edmund: ed eddie ned | edward: ed eddie eddy ted teddy ned | edwin: ed eddie
eleanor: ellie nell nora elle | elijah: eli | elizabeth: liz lizzie beth betty betsy bess eliza libby lisa elsie liza
ellen: ellie nell | emily: em emmy millie | emma: em emmy | eugene: gene | evelyn: evie eve
ezekiel: zeke | florence: flo flossie | frances: fran frannie fanny | francis: frank fran
franklin: frank frankie | frederick: fred freddie freddy | gabriel: gabe
gabrielle: gabby gabi | geoffrey: geoff jeff | gerald: gerry jerry | gertrude: gertie trudy
gregory: greg | harold: hal harry | harriet: hattie | henrietta: etta hettie | henry: hank harry hal
herbert: herb bert | howard: howie | isaac: ike | isabella: izzy bella belle isa
isabel: izzy bella belle | jacob: jake | jacqueline: jackie jacky | james: jim jimmy jamie jem
janet: jan | jeffrey: jeff | jennifer: jen jenny jenn | jeremiah: jerry | jeremy: jerry jem
jessica: jess jessie | joanna: jo | joanne: jo | john: jack johnny jon jonny | jonathan: jon jonny nathan
joseph: joe joey jo | josephine: jo josie | joshua: josh | judith: judy jude | julia: julie
katherine: kate katie kathy kat kitty kay | kathleen: kathy kate katie | kathryn: kathy kate katie
kenneth: ken kenny | kimberly: kim kimmy | lawrence: larry laurie | laurence: larry laurie
leonard: leo len lenny | leslie: les | lewis: lou lew | louis: lou louie | louise: lou lulu
lillian: lily lil | lucas: luke | lucinda: lucy cindy | madeline: maddie maddy | margaret: maggie meg peggy marge margie madge greta peg molly daisy
marjorie: marge margie | martha: marty patty | martin: marty | mary: molly polly mae mamie
mathilda: tilly tilda | matthew: matt matty | maximilian: max | maxwell: max | melanie: mel
melissa: mel missy lissa | michael: mike mikey mick mickey mitch | michelle: shelly
mitchell: mitch | montgomery: monty | nathan: nate nat | nathaniel: nate nat nathan
nicholas: nick nicky nico | nicole: nicki nikki nic | norman: norm | oliver: ollie
oswald: ozzie | pamela: pam | patricia: pat patty patsy tricia trish | patrick: pat paddy
penelope: penny | peter: pete | philip: phil pip | phillip: phil | prudence: prue
randall: randy | raymond: ray | rebecca: becky becca | reginald: reg reggie
richard: rick ricky dick rich richie | robert: rob bob bobby robbie robby bert rab
roberta: bobbie robbie | rodney: rod | roger: rog | ronald: ron ronnie | rosemary: rosie rose
russell: russ | samantha: sam sammy | samuel: sam sammy | sandra: sandy | sarah: sally sadie sara
sebastian: seb bastian | solomon: sol | stanley: stan | stephanie: steph stevie
stephen: steve stevie | steven: steve stevie | susan: sue susie suzy | suzanne: sue suzy
sylvester: sly | sylvia: sylvie | tabitha: tabby | terence: terry | teresa: terry tess tessa
theresa: terry tess tessa | theodore: ted teddy theo | thomas: tom tommy thom
timothy: tim timmy | tobias: toby | valerie: val | veronica: ronnie vera | victoria: vicky vicki tori vic
vincent: vince vinny | virginia: ginny ginger | vivian: viv | walter: walt wally
wesley: wes | wilfred: wilf fred | william: will bill billy willy willie liam | winifred: winnie
zachary: zach zack zak
"""


def _parse_nicknames(table: str) -> dict[str, tuple[int, ...]]:
    groups: dict[str, list[int]] = {}
    for number, entry in enumerate(
        part for part in table.replace("\n", "|").split("|") if part.strip()
    ):
        name, _, nicknames = entry.partition(":")
        for word in (name.strip(), *nicknames.split()):
            groups.setdefault(word, [])
            if number not in groups[word]:
                groups[word].append(number)
    return {word: tuple(numbers) for word, numbers in groups.items()}


NICKNAMES: dict[str, tuple[int, ...]] = _parse_nicknames(_NICKNAME_TABLE)

_NOT_LETTERS = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_NOT_DIGITS = re.compile(r"\D+")

# Address words in one spelling, so "123 North Main Street" and "123 n main st" agree.
_ADDRESS_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "place": "pl", "court": "ct", "lane": "ln", "terrace": "ter",
    "highway": "hwy", "parkway": "pkwy", "circle": "cir", "square": "sq", "crescent": "cres",
    "circuit": "cct", "close": "cl", "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
    "apartment": "apt", "suite": "ste", "unit": "apt", "floor": "fl", "number": "no",
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
}  # fmt: skip


def clean_text(value: str) -> str:
    """Lower case, accents removed, punctuation dropped, spaces collapsed."""
    if not value:
        return ""
    if value.isascii():
        value = value.lower()
        if value.isalnum():
            return value
    else:
        value = unicodedata.normalize("NFKD", value)
        value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
        value = value.replace("\u2019", "")
    value = value.replace("'", "")
    return " ".join(_NOT_LETTERS.sub(" ", value).split())


def clean_name(value: str) -> str:
    """A name for comparison: `clean_text`, and "o'brien" and "o brien" become "obrien"."""
    name = clean_text(value)
    if " " in name and len(name.split(" ", 1)[0]) == 1 and name[0] == "o":
        name = "o" + name[2:]
    return name


def clean_address(value: str) -> str:
    """An address line with its usual words abbreviated one way ("street" -> "st")."""
    words = clean_text(value).split()
    return " ".join(_ADDRESS_WORDS.get(word, word) for word in words)


def house_number(address: str) -> str:
    """The first token with a digit in a cleaned address line ("12a"), or ""."""
    for word in address.split():
        if any(ch.isdigit() for ch in word):
            return word
    return ""


def address_key(address: str) -> str:
    """House number and the first two letters of the street: a blocking key for addresses."""
    words = address.split()
    for index, word in enumerate(words):
        if any(ch.isdigit() for ch in word):
            rest = [w for w in words[index + 1 :] if w not in _DIRECTIONS]
            return f"{word} {rest[0][:2]}" if rest else word
    return ""


_DIRECTIONS = {"n", "s", "e", "w", "ne", "nw", "se", "sw"}


_ZIP9 = re.compile(r"(\d{5})[ -]?\d{4}")


def clean_postcode(value: str) -> str:
    """A postcode without spaces; a US ZIP+4 as its five digits (the +4 is often left out)."""
    value = clean_text(value).replace(" ", "")
    match = _ZIP9.fullmatch(value)
    return match.group(1) if match else value


def clean_email(value: str) -> str:
    value = value.strip().lower()
    return value if "@" in value else ""


def digits(value: str) -> str:
    if value.isdigit() and value.isascii():
        return value
    return _NOT_DIGITS.sub("", value or "")


_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
    "l": "4", **dict.fromkeys("mn", "5"), "r": "6",
}  # fmt: skip


@lru_cache(maxsize=131072)
def soundex(name: str) -> str:
    """American Soundex of the letters of a name ("robert" -> "R163"), "" for no letters."""
    letters = [ch for ch in name if "a" <= ch <= "z"]
    if not letters:
        return ""
    code = [letters[0].upper()]
    last = _SOUNDEX_CODES.get(letters[0], "")
    for ch in letters[1:]:
        digit = _SOUNDEX_CODES.get(ch, "")
        if digit and digit != last:
            code.append(digit)
            if len(code) == 4:
                break
        if ch not in "hw":
            last = digit
    return "".join(code).ljust(4, "0")


def nickname_groups(first_name: str) -> tuple[int, ...]:
    """The nickname groups a cleaned first name belongs to (its first word), () if none."""
    return NICKNAMES.get(first_name.split(" ", 1)[0], ()) if first_name else ()
