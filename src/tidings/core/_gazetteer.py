"""A small hand-written gazetteer: countries, their capitals, demonyms and aliases.

Each line: canonical name | aliases and demonyms (comma-separated) | capitals and major cities.
"""

from __future__ import annotations

_RAW = """
Afghanistan|Afghan|Kabul
Albania|Albanian|Tirana
Algeria|Algerian|Algiers
Argentina|Argentine,Argentinian|Buenos Aires
Armenia|Armenian|Yerevan
Australia|Australian|Canberra,Sydney,Melbourne
Austria|Austrian|Vienna
Azerbaijan|Azerbaijani|Baku
Bahrain|Bahraini|Manama
Bangladesh|Bangladeshi|Dhaka
Belarus|Belarusian|Minsk
Belgium|Belgian|Brussels
Bolivia|Bolivian|La Paz
Bosnia|Bosnian,Bosnia and Herzegovina|Sarajevo
Brazil|Brazilian|Brasilia,Rio de Janeiro,Sao Paulo
Bulgaria|Bulgarian|Sofia
Burma|Myanmar,Burmese|Yangon,Naypyidaw
Cambodia|Cambodian|Phnom Penh
Canada|Canadian|Ottawa,Toronto,Montreal,Vancouver
Chile|Chilean|Santiago
China|Chinese,PRC|Beijing,Shanghai,Hong Kong
Colombia|Colombian|Bogota
Congo|Congolese,DRC|Kinshasa
Croatia|Croatian|Zagreb
Cuba|Cuban|Havana
Cyprus|Cypriot|Nicosia
Czech Republic|Czech,Czechia|Prague
Denmark|Danish,Dane|Copenhagen
Ecuador|Ecuadorian|Quito
Egypt|Egyptian|Cairo
Estonia|Estonian|Tallinn
Ethiopia|Ethiopian|Addis Ababa
Finland|Finnish|Helsinki
France|French|Paris,Marseille,Lyon
Georgia|Georgian|Tbilisi
Germany|German|Berlin,Munich,Hamburg,Frankfurt
Ghana|Ghanaian|Accra
Greece|Greek|Athens
Greenland|Greenlandic|Nuuk
Hungary|Hungarian|Budapest
Iceland|Icelandic|Reykjavik
India|Indian|New Delhi,Delhi,Mumbai,Kolkata,Chennai
Indonesia|Indonesian|Jakarta
Iran|Iranian|Tehran
Iraq|Iraqi|Baghdad
Ireland|Irish|Dublin
Israel|Israeli|Jerusalem,Tel Aviv
Italy|Italian|Rome,Milan,Naples
Japan|Japanese|Tokyo,Osaka
Jordan|Jordanian|Amman
Kazakhstan|Kazakh|Astana,Almaty
Kenya|Kenyan|Nairobi
Kuwait|Kuwaiti|Kuwait City
Latvia|Latvian|Riga
Lebanon|Lebanese|Beirut
Libya|Libyan|Tripoli,Benghazi
Lithuania|Lithuanian|Vilnius
Malaysia|Malaysian|Kuala Lumpur
Mali|Malian|Bamako
Mexico|Mexican|Mexico City
Moldova|Moldovan|Chisinau
Morocco|Moroccan|Rabat,Casablanca
Nepal|Nepalese,Nepali|Kathmandu
Netherlands|Dutch,Holland|Amsterdam,The Hague,Rotterdam
New Zealand|New Zealander|Wellington,Auckland
Nigeria|Nigerian|Abuja,Lagos
North Korea|North Korean,DPRK|Pyongyang
Norway|Norwegian|Oslo
Oman|Omani|Muscat
Pakistan|Pakistani|Islamabad,Karachi,Lahore
Palestine|Palestinian|Ramallah,Gaza
Peru|Peruvian|Lima
Philippines|Philippine,Filipino|Manila
Poland|Polish|Warsaw
Portugal|Portuguese|Lisbon
Qatar|Qatari|Doha
Romania|Romanian|Bucharest
Russia|Russian,Russian Federation|Moscow,St Petersburg
Rwanda|Rwandan|Kigali
Saudi Arabia|Saudi|Riyadh
Serbia|Serbian,Serb|Belgrade
Singapore|Singaporean|
Slovakia|Slovak|Bratislava
Slovenia|Slovenian|Ljubljana
Somalia|Somali|Mogadishu
South Africa|South African|Pretoria,Johannesburg,Cape Town
South Korea|South Korean,Republic of Korea|Seoul
Spain|Spanish|Madrid,Barcelona
Sri Lanka|Sri Lankan|Colombo
Sudan|Sudanese|Khartoum
Sweden|Swedish,Swede|Stockholm
Switzerland|Swiss|Bern,Geneva,Zurich
Syria|Syrian|Damascus,Aleppo,Homs
Taiwan|Taiwanese|Taipei
Thailand|Thai|Bangkok
Tunisia|Tunisian|Tunis
Turkey|Turkish,Turkiye|Ankara,Istanbul
Uganda|Ugandan|Kampala
Ukraine|Ukrainian|Kyiv,Kiev,Kharkiv,Odesa
United Arab Emirates|UAE,Emirati|Abu Dhabi,Dubai
United Kingdom|UK,U.K.,Britain,Great Britain,British|London,Edinburgh,Glasgow,Manchester,Cardiff
United States|US,U.S.,USA,U.S.A.,America,American|Washington,New York,Los Angeles,Chicago,Alabama,Alaska,Arizona,Arkansas,California,Colorado,Connecticut,Delaware,Florida,Hawaii,Idaho,Illinois,Indiana,Iowa,Kansas,Kentucky,Louisiana,Maine,Maryland,Massachusetts,Michigan,Minnesota,Mississippi,Missouri,Montana,Nebraska,Nevada,New Hampshire,New Jersey,New Mexico,North Carolina,North Dakota,Ohio,Oklahoma,Oregon,Pennsylvania,Rhode Island,South Carolina,South Dakota,Tennessee,Texas,Utah,Vermont,Virginia,West Virginia,Wisconsin,Wyoming,Philadelphia,San Francisco,Boston,Miami,Seattle,Atlanta,Detroit
Venezuela|Venezuelan|Caracas
Vietnam|Vietnamese|Hanoi
Yemen|Yemeni|Sanaa
Zimbabwe|Zimbabwean|Harare
Scotland|Scottish,Scot|
Wales|Welsh|
England|English|
Northern Ireland|Northern Irish|
Europe|European|
Africa|African|
Asia|Asian|
Arctic||
Middle East||
Antarctica|Antarctic|
Caribbean||
Balkans||
Caucasus||
Scandinavia|Scandinavian|
Latin America|Latin American|
South America|South American|
Central America|Central American|
North America|North American|
Central Asia||
Southeast Asia||
Mediterranean||
Sahel||
"""


def _build() -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    aliases: dict[str, str] = {}
    country: dict[str, str] = {}
    for line in _RAW.strip().splitlines():
        name, alias_field, cities = [*line.split("|"), "", ""][:3]
        aliases[name.lower()] = name
        country[name] = name
        for alias in filter(None, (a.strip() for a in alias_field.split(","))):
            aliases[alias.lower()] = name
        for city in filter(None, (c.strip() for c in cities.split(","))):
            aliases.setdefault(city.lower(), city)
            country.setdefault(city, name)
    return aliases, frozenset(aliases.values()), country


#: lower-cased surface form -> canonical place name ("russian" -> "Russia").
#: ``COUNTRY_OF``: canonical place name -> the country or region it belongs to
#: ("Moscow" -> "Russia", "Russia" -> "Russia").
PLACE_ALIASES, PLACES, COUNTRY_OF = _build()
